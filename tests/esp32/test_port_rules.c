/*
 * The ESP-IDF port's rules, one by one, against the stand-in (NOT ESP-IDF):
 * ms->tick rounding at 100 Hz, NVS key length and round trip, the ROM link
 * at 8E1 (a write at 8N1 is caught), and the RX latency the port tunes: at
 * 1200 baud 8E1 (a symbol is 9.2 ms) a one-byte ACK arrives within a few
 * milliseconds with the port's settings and only after the idle time-out
 * (10 symbols, ~92 ms) with the driver's defaults. The UART is a pty.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "esp32_port.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "standin.h"
#include "twinslot/err.h"

static struct ts_port port;
static struct ts_esp32_cfg cfg;
static int master = -1;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int setup(void **state)
{
	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
		return -1;
	setenv("TS_STANDIN_UART2_PTY", ptsname(master), 1);
	unsetenv("TS_STANDIN_BOARD_CTL");
	unsetenv("TS_STANDIN_NVS");
	if (nvs_flash_init() != ESP_OK)
		return -1;
	ts_esp32_default_cfg(&cfg);
	return ts_esp32_port_open(&cfg, &port) == TS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ts_esp32_port_close();
	close(master);
	return 0;
}

static void ticks_round_up(void **state)
{
	(void)state;
	assert_int_equal(configTICK_RATE_HZ, 100);
	assert_int_equal(pdMS_TO_TICKS(5), 0); /* FreeRTOS's macro truncates */
	assert_int_equal(ts_esp32_ticks(0), 0);
	assert_int_equal(ts_esp32_ticks(1), 1);
	assert_int_equal(ts_esp32_ticks(5), 1);
	assert_int_equal(ts_esp32_ticks(10), 1);
	assert_int_equal(ts_esp32_ticks(11), 2);
}

static void read_waits_its_timeout(void **state)
{
	(void)state;
	uint8_t b[4];
	uint64_t t0 = now_ms();
	assert_int_equal(port.link->read(port.link_ctx, b, sizeof b, 5), 0);
	assert_true(now_ms() - t0 >= 5); /* not 0 ticks */
}

static void nvs_keys(void **state)
{
	(void)state;
	uint8_t v[8] = { 1, 2, 3 }, out[8];
	assert_int_equal(port.store->put(port.store_ctx, "0123456789abcdef", v, 3), TS_ERR_INVAL);
	nvs_handle_t h;
	assert_int_equal(nvs_open("twinslot", NVS_READWRITE, &h), ESP_OK);
	assert_int_equal(nvs_set_blob(h, "0123456789abcdef", v, 3), ESP_ERR_NVS_KEY_TOO_LONG);
	assert_int_equal(port.store->get(port.store_ctx, "agent.outcome", out, sizeof out),
			 TS_ERR_NOENT);
	assert_int_equal(port.store->put(port.store_ctx, "agent.outcome", v, 3), TS_OK);
	assert_int_equal(port.store->get(port.store_ctx, "agent.outcome", out, sizeof out), 3);
	assert_memory_equal(out, v, 3);
	assert_int_equal(port.store->get(port.store_ctx, "agent.outcome", out, 2), TS_ERR_BUFSIZE);
	assert_int_equal(standin_nvs_uncommitted(), 0);
}

static void rom_link_is_8e1(void **state)
{
	(void)state;
	const struct standin_uart_stats *st = standin_uart_stats(cfg.uart_num);
	uint8_t sync = 0x7f;
	assert_int_equal(port.link->configure(port.link_ctx, 115200, true), TS_OK);
	assert_int_equal(st->configs[st->nconfigs - 1].parity, UART_PARITY_EVEN);
	unsigned before = st->writes_not_8e1;
	assert_int_equal(port.link->write(port.link_ctx, &sync, 1), TS_OK);
	assert_int_equal(st->writes_not_8e1, before);
	assert_int_equal(port.link->configure(port.link_ctx, 115200, false), TS_OK);
	assert_int_equal(st->configs[st->nconfigs - 1].parity, UART_PARITY_DISABLE);
	assert_int_equal(port.link->write(port.link_ctx, &sync, 1), TS_OK);
	assert_int_equal(st->writes_not_8e1, before + 1); /* the stand-in caught it */
	assert_int_equal(port.link->configure(port.link_ctx, 100, true), TS_ERR_UNSUPPORTED);
	assert_int_equal(port.link->flush_input(port.link_ctx), TS_OK);
}

/* ms until a one-byte "ACK" written by the board side reaches link.read */
static uint64_t ack_delay(void)
{
	uint8_t ack = 0x79, b[4];
	port.link->flush_input(port.link_ctx);
	uint64_t t0 = now_ms();
	assert_int_equal(write(master, &ack, 1), 1);
	long n = port.link->read(port.link_ctx, b, sizeof b, 1000);
	uint64_t dt = now_ms() - t0;
	assert_int_equal(n, 1);
	assert_int_equal(b[0], 0x79);
	return dt;
}

static void one_byte_ack_latency(void **state)
{
	(void)state;
	const struct standin_uart_stats *st = standin_uart_stats(cfg.uart_num);
	assert_int_equal(port.link->configure(port.link_ctx, 1200, true), TS_OK);
	assert_int_equal(st->rx_full_threshold, 1); /* the port's tuning */
	assert_int_equal(st->rx_timeout, 1);
	uint64_t tuned = ack_delay();
	/* the driver's defaults, as an untuned port leaves them */
	assert_int_equal(uart_set_rx_full_threshold(cfg.uart_num, 120), ESP_OK);
	assert_int_equal(uart_set_rx_timeout(cfg.uart_num, 10), ESP_OK);
	uint64_t untuned = ack_delay();
	print_message("one-byte ACK at 1200 baud 8E1: %llu ms tuned, %llu ms untuned\n",
		      (unsigned long long)tuned, (unsigned long long)untuned);
	assert_true(tuned < 40);    /* one symbol is 9.2 ms */
	assert_true(untuned >= 90); /* ten symbols */
	assert_int_equal(uart_set_rx_full_threshold(cfg.uart_num, 0), ESP_FAIL);
	assert_int_equal(uart_set_rx_timeout(cfg.uart_num, 127), ESP_ERR_INVALID_ARG);
}

/* The crypto concern (mbedTLS): a signature made by openssl verifies; one
 * flipped bit in it, or in the digest, is TS_ERR_AUTH; a point off the
 * curve is TS_ERR_INVAL. The vector: `openssl ecparam -name prime256v1
 * -genkey`, `openssl dgst -sha256 -sign` over the 8 bytes "twinslot". */
static void ecdsa_verify(void **state)
{
	(void)state;
	static const uint8_t point[65] = {
		0x04, 0xe8, 0xf9, 0xb2, 0xdf, 0xe8, 0xa8, 0xbf, 0xda, 0x26, 0x0e, 0xe9, 0xba, 0xc7,
		0x8f, 0xe3, 0xa6, 0xdc, 0xdf, 0x04, 0x83, 0x50, 0xf8, 0x04, 0x36, 0x12, 0x5e, 0x79,
		0x4a, 0xa5, 0x9c, 0xf6, 0x6e, 0x7f, 0xb2, 0x5d, 0x51, 0x90, 0x9d, 0x56, 0x79, 0x91,
		0x14, 0xa2, 0x2b, 0x5d, 0x43, 0xc1, 0x2f, 0x88, 0x64, 0x51, 0xee, 0xd0, 0x48, 0x62,
		0x4e, 0xba, 0x75, 0x3c, 0x22, 0x01, 0xa4, 0x4a, 0x7a,
	};
	uint8_t digest[32] = {
		0x47, 0x32, 0x11, 0x40, 0x38, 0x6a, 0x01, 0x6a, 0x8f, 0x85, 0x11, 0xf7, 0xf9, 0x6d,
		0x2f, 0x57, 0x30, 0xe0, 0xa8, 0xa7, 0x61, 0xd0, 0xd8, 0x26, 0x90, 0xfe, 0xf5, 0x7a,
		0xba, 0xee, 0x3c, 0x52,
	};
	uint8_t sig[64] = { /* r || s */
		0x0D, 0x3D, 0xF1, 0xCF, 0x28, 0xE8, 0x29, 0x90, 0x72, 0x78, 0x2F, 0x57, 0x31, 0xFA,
		0x90, 0xF7, 0x22, 0x23, 0x0A, 0x20, 0x65, 0x38, 0x42, 0x5B, 0x74, 0x72, 0x85, 0x58,
		0xD0, 0xB0, 0x68, 0x6F,
		0xF1, 0x2B, 0x92, 0x03, 0xB8, 0x95, 0x20, 0xA0, 0xA7, 0xD5, 0x40, 0x56, 0x0B, 0x75,
		0xCB, 0xF8, 0xDE, 0xDA, 0xE1, 0x2F, 0xC9, 0xE9, 0xA2, 0x7F, 0x16, 0xD7, 0x86, 0x3C,
		0x81, 0xA8, 0x04, 0xC5,
	};
	const struct ts_crypto_ops *c = &ts_esp32_crypto_ops;
	assert_int_equal(c->ecdsa_p256_verify(NULL, point, digest, sig), TS_OK);
	sig[40] ^= 1;
	assert_int_equal(c->ecdsa_p256_verify(NULL, point, digest, sig), TS_ERR_AUTH);
	sig[40] ^= 1;
	digest[0] ^= 0x80;
	assert_int_equal(c->ecdsa_p256_verify(NULL, point, digest, sig), TS_ERR_AUTH);
	digest[0] ^= 0x80;
	uint8_t off[65];
	memcpy(off, point, sizeof off);
	off[64] ^= 1; /* no longer on the curve */
	assert_int_equal(c->ecdsa_p256_verify(NULL, off, digest, sig), TS_ERR_INVAL);
}

static void wall_time_when_set(void **state)
{
	(void)state;
	uint64_t t = 0;
	assert_true(ts_esp32_time_is_set()); /* the test machine's clock is set */
	assert_int_equal(port.clock->wall_time(port.clock_ctx, &t), TS_OK);
	assert_true(t >= 1704067200u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ticks_round_up),
		cmocka_unit_test(read_waits_its_timeout),
		cmocka_unit_test(nvs_keys),
		cmocka_unit_test(rom_link_is_8e1),
		cmocka_unit_test(one_byte_ack_latency),
		cmocka_unit_test(wall_time_when_set),
		cmocka_unit_test(ecdsa_verify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
