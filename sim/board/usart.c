/*
 * USART1 and USART3 (RM0090 chapter 30), polled: SR (TXE, TC, RXNE, ORE),
 * DR, BRR, CR1-3, GTPR. Both are wired to the board's one serial endpoint:
 * what either transmits goes to the host, what the host sends lands in each
 * one that is enabled to receive (UE and RE), and is lost otherwise.
 *
 * Timing on the board's clock: a frame lasts (1 start + M data/parity +
 * stop) bits at the baud rate BRR gives from the APB clock (oversampling by
 * 16). TXE clears while a byte waits in TDR behind the shift register; TC is
 * set when the shift register is empty. Host bytes land in DR one frame time
 * apart; a byte that lands while RXNE is still set is lost and sets ORE.
 * Interrupts (TXEIE, RXNEIE, ...) are stored but not delivered.
 */
#include "board.h"

#include <inttypes.h>
#include <string.h>

#define SR_ORE  (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TC   (1u << 6)
#define SR_TXE  (1u << 7)

#define CR1_RE  (1u << 2)
#define CR1_TE  (1u << 3)
#define CR1_PCE (1u << 10)
#define CR1_M   (1u << 12)
#define CR1_UE  (1u << 13)

static const char *const uname[2] = { "USART1", "USART3" };

static bool clocked(struct board *b, int n)
{
	return n == 0 ? board_clock_enabled(b, uname[0], 0x44, 4)
		      : board_clock_enabled(b, uname[1], 0x40, 18);
}

static uint64_t frame_ns(const struct board *b, int n)
{
	const struct usart *u = &b->usart[n];
	uint32_t brr = u->brr & 0xFFFFu;
	if (!brr)
		brr = 16;
	uint32_t pclk = board_pclk_hz(b, n == 0 ? 2 : 1);
	uint32_t stop = ((u->cr2 >> 12) & 3u) == 2u ? 2u : 1u;
	uint32_t bits = 1u + ((u->cr1 & CR1_M) ? 9u : 8u) + stop;
	/* baud = pclk / BRR (oversampling by 16, BRR = mantissa:fraction) */
	return (uint64_t)bits * brr * 1000000000ull / pclk;
}

static void rx_catchup(struct board *b, int n)
{
	struct usart *u = &b->usart[n];
	uint64_t now = board_now(b);
	while (u->rxq_len && now >= u->rx_next_ns) {
		uint8_t c = u->rxq[u->rxq_head];
		u->rxq_head = (u->rxq_head + 1) % sizeof u->rxq;
		u->rxq_len--;
		if (u->sr & SR_RXNE) {
			u->sr |= SR_ORE;
			sim_eventf(&b->ev, now, "uart_overrun", "\"usart\":\"%s\",\"byte\":%u", uname[n], c);
		} else {
			u->dr_rx = c;
			u->sr |= SR_RXNE;
		}
		u->rx_next_ns += frame_ns(b, n);
	}
}

/* The wire runs at the rate of the USART the firmware enabled last. */
static void line_update(struct board *b, int n)
{
	struct usart *u = &b->usart[n];
	if (!b->serial || !b->serial->cfg.paced || !(u->cr1 & CR1_UE))
		return; /* unpaced, the line has no rate */
	uint32_t brr = u->brr ? u->brr : 16;
	uint32_t stop = ((u->cr2 >> 12) & 3u) == 2u ? 2u : 1u;
	sim_serial_set_line(b->serial, board_pclk_hz(b, n == 0 ? 2 : 1) / brr,
			    1u + ((u->cr1 & CR1_M) ? 9u : 8u) + stop);
}

size_t bd_usart_unsent(struct board *b)
{
	uint64_t now = board_now(b);
	size_t n = 0;
	for (int k = 0; k < 2; k++) {
		const struct usart *u = &b->usart[k];
		uint64_t f = frame_ns(b, k);
		if (u->tc_ns > now && f)
			n += (size_t)((u->tc_ns - now + f - 1) / f);
	}
	return n;
}

void bd_usart_reset(struct board *b)
{
	memset(b->usart, 0, sizeof b->usart);
	if (b->serial)
		sim_serial_set_line(b->serial, 0, 0);
}

void bd_usart_service(struct board *b)
{
	if (!b->serial)
		return;
	uint8_t buf[256];
	uint64_t now = board_now(b);
	/* Take from the endpoint only what the line queues can hold: the
	 * queue is the wire (bytes land one frame apart), and the endpoint
	 * keeps the rest (unpaced, a host writes faster than the wire). What
	 * lands while RXNE is set is lost (rx_catchup), as on silicon. */
	size_t room = sizeof buf;
	for (int k = 0; k < 2; k++) {
		struct usart *u = &b->usart[k];
		if ((u->cr1 & (CR1_UE | CR1_RE)) != (CR1_UE | CR1_RE))
			continue;
		rx_catchup(b, k);
		if (sizeof u->rxq - u->rxq_len < room)
			room = sizeof u->rxq - u->rxq_len;
	}
	size_t n = room ? sim_serial_read(b->serial, buf, room, now) : 0;
	for (int k = 0; k < 2; k++) {
		struct usart *u = &b->usart[k];
		if ((u->cr1 & (CR1_UE | CR1_RE)) != (CR1_UE | CR1_RE))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (u->rxq_len == sizeof u->rxq)
				break;
			if (u->rxq_len == 0 && u->rx_next_ns < now + frame_ns(b, k))
				u->rx_next_ns = now + frame_ns(b, k);
			u->rxq[(u->rxq_head + u->rxq_len) % sizeof u->rxq] = buf[i];
			u->rxq_len++;
		}
	}
}

uint32_t bd_usart_read(struct board *b, int n, uint32_t off)
{
	if (!clocked(b, n))
		return 0;
	struct usart *u = &b->usart[n];
	uint64_t now = board_now(b);
	rx_catchup(b, n);
	switch (off) {
	case 0x00: {
		uint32_t sr = u->sr & ~(SR_TXE | SR_TC);
		if (now >= u->tx_free_ns)
			sr |= SR_TXE;
		if (now >= u->tc_ns)
			sr |= SR_TC;
		return sr;
	}
	case 0x04: {
		uint32_t v = u->dr_rx;
		u->sr &= ~(SR_RXNE | SR_ORE);
		return v;
	}
	case 0x08: return u->brr;
	case 0x0C: return u->cr1;
	case 0x10: return u->cr2;
	case 0x14: return u->cr3;
	case 0x18: return u->gtpr;
	}
	return 0;
}

static void transmit(struct board *b, int n, uint32_t v)
{
	struct usart *u = &b->usart[n];
	if ((u->cr1 & (CR1_UE | CR1_TE)) != (CR1_UE | CR1_TE))
		return;
	uint64_t now = board_now(b), f = frame_ns(b, n);
	if (now >= u->tc_ns) {
		u->tx_free_ns = now;
		u->tc_ns = now + f;
	} else {
		u->tx_free_ns = u->tc_ns;
		u->tc_ns += f;
	}
	uint8_t c = (uint8_t)v;
	if ((u->cr1 & CR1_PCE) && !(u->cr1 & CR1_M))
		c &= 0x7Fu; /* 7 data bits + parity */
	u->tx_count++;
	if (b->console) {
		fputc(c, b->console);
		if (c == 0x0A)
			fflush(b->console);
	}
	if (b->serial)
		sim_serial_write(b->serial, &c, 1, now);
}

void bd_usart_write(struct board *b, int n, uint32_t off, uint32_t v)
{
	if (!clocked(b, n))
		return;
	struct usart *u = &b->usart[n];
	switch (off) {
	case 0x00: /* rc_w0 bits: RXNE, TC (TC is derived from time) */
		if (!(v & SR_RXNE))
			u->sr &= ~SR_RXNE;
		break;
	case 0x04: transmit(b, n, v); break;
	case 0x08:
		u->brr = v & 0xFFFFu;
		line_update(b, n);
		break;
	case 0x0C:
		if (!(u->cr1 & CR1_UE) && (v & CR1_UE)) {
			uint32_t brr = u->brr ? u->brr : 16;
			uint32_t baud = board_pclk_hz(b, n == 0 ? 2 : 1) / brr;
			sim_eventf(&b->ev, board_now(b), "uart_enable",
				   "\"usart\":\"%s\",\"baud\":%" PRIu32 ",\"parity\":%s", uname[n], baud,
				   (v & CR1_PCE) ? ((v & (1u << 9)) ? "\"odd\"" : "\"even\"") : "\"none\"");
		}
		u->cr1 = v & 0xBFFFu;
		line_update(b, n);
		break;
	case 0x10: u->cr2 = v & 0x7F7Fu; break;
	case 0x14: u->cr3 = v & 0x0FFFu; break;
	case 0x18: u->gtpr = v & 0xFFFFu; break;
	}
}
