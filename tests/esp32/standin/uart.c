/*
 * Stand-in (NOT ESP-IDF) for the UART driver, on a pty (the virtual board's
 * serial line). What it reproduces:
 *   - the RX path's latency: bytes wait in a 128-byte "FIFO" and reach the
 *     driver's buffer (what uart_read_bytes and uart_get_buffered_data_len
 *     see) only when rx_full_threshold bytes are in it or after rx_timeout
 *     symbol times without a new byte (defaults 120 and 10, as the driver's
 *     UART_FULL_THRESH_DEFAULT / UART_TOUT_THRESH_DEFAULT); a symbol is
 *     1 + 8 + parity + stop bits at the configured baud rate;
 *   - uart_read_bytes waits for all `length` bytes or ticks_to_wait whole
 *     ticks (0 ticks: no wait at all);
 *   - the frame format asked for: recorded for every uart_param_config; a
 *     pty cannot carry parity, so a write (only the ROM bootloader is ever
 *     written to) while not at 8E1 counts as a violation;
 *   - one driver per UART (installing twice fails), and the pty is locked
 *     (flock, as the Linux port locks it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "esp_log.h"
#include "standin.h"

#define FIFO 128

struct su {
	bool installed;
	int fd;
	uart_config_t cfg;
	int full_thr, tout;
	uint8_t fifo[FIFO];
	size_t fifo_n;
	uint64_t fifo_since_us;  /* when the oldest byte in the FIFO arrived */
	uint64_t last_rx_us;     /* when the newest did */
	uint8_t *ring;
	size_t ring_n, ring_cap;
	struct standin_uart_stats st;
};

static struct su U[UART_NUM_MAX];

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct su *get(uart_port_t n)
{
	return n >= 0 && n < UART_NUM_MAX ? &U[n] : NULL;
}

const struct standin_uart_stats *standin_uart_stats(int n)
{
	return get(n) ? &U[n].st : NULL;
}

static uint64_t symbol_ns(const struct su *u)
{
	unsigned bits = 1 + 5 + (unsigned)u->cfg.data_bits +
			(u->cfg.parity != UART_PARITY_DISABLE) +
			(u->cfg.stop_bits == UART_STOP_BITS_2 ? 2 : 1);
	int baud = u->cfg.baud_rate > 0 ? u->cfg.baud_rate : 115200;
	return (uint64_t)bits * 1000000000u / (uint64_t)baud;
}

static uint64_t tout_us(const struct su *u)
{
	return ((uint64_t)u->tout * symbol_ns(u) + 999) / 1000;
}

static void to_ring(struct su *u, uint64_t now)
{
	if (!u->fifo_n)
		return;
	if (u->ring_n + u->fifo_n > u->ring_cap) {
		/* the driver's buffer overflows: it drops what does not fit */
		standin_log('W', "standin-uart", "RX buffer full: %zu bytes dropped", u->fifo_n);
	} else {
		memcpy(u->ring + u->ring_n, u->fifo, u->fifo_n);
		u->ring_n += u->fifo_n;
		u->st.held_us += now - u->fifo_since_us;
	}
	u->fifo_n = 0;
}

/* Move what the pty has into the FIFO, and from the FIFO to the driver's
 * buffer when the threshold or the idle time-out says so. */
static void pump(struct su *u)
{
	uint64_t now = mono_us();
	if (u->fd >= 0) {
		for (;;) {
			size_t room = FIFO - u->fifo_n;
			ssize_t r = read(u->fd, u->fifo + u->fifo_n, room);
			if (r <= 0)
				break;
			if (!u->fifo_n)
				u->fifo_since_us = now;
			u->fifo_n += (size_t)r;
			u->last_rx_us = now;
			u->st.bytes_in += (uint64_t)r;
			if (u->fifo_n >= (size_t)u->full_thr)
				to_ring(u, now);
		}
	}
	if (u->fifo_n && u->tout > 0 && now - u->last_rx_us >= tout_us(u))
		to_ring(u, now);
}

static const char *pty_of(uart_port_t n)
{
	char var[32];
	snprintf(var, sizeof var, "TS_STANDIN_UART%d_PTY", (int)n);
	return getenv(var);
}

esp_err_t uart_driver_install(uart_port_t n, int rx_buffer_size, int tx_buffer_size,
			      int queue_size, QueueHandle_t *uart_queue, int intr_alloc_flags)
{
	(void)tx_buffer_size;
	(void)queue_size;
	(void)uart_queue;
	(void)intr_alloc_flags;
	struct su *u = get(n);
	if (!u || rx_buffer_size <= FIFO)
		return ESP_FAIL; /* the driver insists on rx_buffer_size > FIFO */
	if (u->installed) {
		ESP_LOGE("standin-uart", "UART driver already installed");
		return ESP_FAIL;
	}
	memset(u, 0, sizeof *u);
	u->fd = -1;
	const char *path = pty_of(n);
	if (path) {
		u->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (u->fd < 0 || flock(u->fd, LOCK_EX | LOCK_NB) != 0) {
			ESP_LOGE("standin-uart", "%s: %s", path, strerror(errno));
			if (u->fd >= 0)
				close(u->fd);
			return ESP_FAIL;
		}
		struct termios t;
		if (tcgetattr(u->fd, &t) == 0) {
			cfmakeraw(&t);
			t.c_cc[VMIN] = 0;
			t.c_cc[VTIME] = 0;
			tcsetattr(u->fd, TCSANOW, &t);
		}
	}
	u->ring_cap = (size_t)rx_buffer_size;
	u->ring = malloc(u->ring_cap);
	if (!u->ring)
		return ESP_ERR_NO_MEM;
	u->full_thr = 120;
	u->tout = 10;
	u->st.rx_full_threshold = 120;
	u->st.rx_timeout = 10;
	u->cfg = (uart_config_t){ .baud_rate = 115200, .data_bits = UART_DATA_8_BITS,
				  .parity = UART_PARITY_DISABLE, .stop_bits = UART_STOP_BITS_1 };
	u->installed = true;
	return ESP_OK;
}

esp_err_t uart_driver_delete(uart_port_t n)
{
	struct su *u = get(n);
	if (!u || !u->installed)
		return ESP_FAIL;
	if (u->fd >= 0)
		close(u->fd);
	free(u->ring);
	u->ring = NULL;
	u->fd = -1;
	u->installed = false;
	return ESP_OK;
}

bool uart_is_driver_installed(uart_port_t n)
{
	struct su *u = get(n);
	return u && u->installed;
}

esp_err_t uart_param_config(uart_port_t n, const uart_config_t *c)
{
	struct su *u = get(n);
	if (!u || !c || c->baud_rate <= 0 || c->baud_rate > 5000000 ||
	    c->data_bits > UART_DATA_8_BITS || c->flow_ctrl > UART_HW_FLOWCTRL_CTS_RTS)
		return ESP_ERR_INVALID_ARG;
	u->cfg = *c;
	if (u->st.nconfigs < STANDIN_MAX_CONFIGS)
		u->st.configs[u->st.nconfigs] = (struct standin_uart_config){
			c->baud_rate, c->data_bits, c->parity, c->stop_bits
		};
	u->st.nconfigs++;
	return ESP_OK;
}

esp_err_t uart_set_pin(uart_port_t n, int tx, int rx, int rts, int cts)
{
	(void)rts;
	(void)cts;
	if (!get(n) || tx >= GPIO_NUM_MAX || rx >= GPIO_NUM_MAX)
		return ESP_FAIL;
	return ESP_OK;
}

esp_err_t uart_set_rx_full_threshold(uart_port_t n, int threshold)
{
	struct su *u = get(n);
	if (!u || threshold <= 0 || threshold >= 128)
		return ESP_FAIL;
	if (!u->installed)
		return ESP_ERR_INVALID_STATE;
	u->full_thr = u->st.rx_full_threshold = threshold;
	return ESP_OK;
}

esp_err_t uart_set_rx_timeout(uart_port_t n, const uint8_t tout)
{
	struct su *u = get(n);
	if (!u || tout > 126)
		return ESP_ERR_INVALID_ARG;
	u->tout = u->st.rx_timeout = tout;
	return ESP_OK;
}

int uart_read_bytes(uart_port_t n, void *buf, uint32_t length, TickType_t ticks)
{
	struct su *u = get(n);
	if (!u || !u->installed || !buf)
		return -1;
	u->st.read_calls++;
	uint64_t deadline = mono_us() + (uint64_t)ticks * 1000000u / configTICK_RATE_HZ;
	uint32_t got = 0;
	for (;;) {
		pump(u);
		size_t k = u->ring_n < length - got ? u->ring_n : length - got;
		memcpy((uint8_t *)buf + got, u->ring, k);
		memmove(u->ring, u->ring + k, u->ring_n - k);
		u->ring_n -= k;
		got += (uint32_t)k;
		uint64_t now = mono_us();
		if (got == length || now >= deadline)
			return (int)got;
		uint64_t wait = deadline - now;
		if (u->fifo_n && u->tout > 0) {
			uint64_t due = u->last_rx_us + tout_us(u);
			wait = due > now ? (due - now < wait ? due - now : wait) : 0;
		}
		struct timespec ts = { (time_t)(wait / 1000000u), (long)(wait % 1000000u) * 1000L };
		if (u->fd >= 0 && u->fifo_n < FIFO) {
			struct pollfd p = { .fd = u->fd, .events = POLLIN };
			int pr = ppoll(&p, 1, &ts, NULL);
			if (pr > 0 && !(p.revents & POLLIN))
				nanosleep(&(struct timespec){ 0, 5000000L }, NULL); /* board gone */
		} else {
			nanosleep(&ts, NULL);
		}
	}
}

int uart_write_bytes(uart_port_t n, const void *src, size_t size)
{
	struct su *u = get(n);
	if (!u || !u->installed || !src)
		return -1;
	if (u->cfg.parity != UART_PARITY_EVEN || u->cfg.data_bits != UART_DATA_8_BITS ||
	    u->cfg.stop_bits != UART_STOP_BITS_1) {
		u->st.writes_not_8e1++;
		ESP_LOGW("standin-uart", "write of %zu bytes while not at 8E1: the ROM "
			 "bootloader would see parity errors", size);
	}
	size_t done = 0;
	while (u->fd >= 0 && done < size) {
		ssize_t w = write(u->fd, (const uint8_t *)src + done, size - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd p = { .fd = u->fd, .events = POLLOUT };
		poll(&p, 1, 100);
	}
	u->st.bytes_out += size;
	return (int)size;
}

esp_err_t uart_wait_tx_done(uart_port_t n, TickType_t ticks)
{
	(void)ticks;
	return get(n) && U[n].installed ? ESP_OK : ESP_FAIL;
}

esp_err_t uart_get_buffered_data_len(uart_port_t n, size_t *size)
{
	struct su *u = get(n);
	if (!u || !u->installed || !size)
		return ESP_FAIL;
	pump(u);
	*size = u->ring_n;
	return ESP_OK;
}

esp_err_t uart_flush_input(uart_port_t n)
{
	struct su *u = get(n);
	if (!u || !u->installed)
		return ESP_FAIL;
	pump(u);
	u->fifo_n = 0;
	u->ring_n = 0;
	return ESP_OK;
}

esp_err_t uart_flush(uart_port_t n)
{
	return uart_flush_input(n);
}
