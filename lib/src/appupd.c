/* The application update protocol's frame codec and payloads: see
 * twinslot/appupd.h and docs/app-update.md. */
#include "twinslot/appupd.h"

#include <stddef.h>
#include <string.h>

#include "twinslot/bytes.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"

enum { ST_HUNT, ST_HEAD, ST_PAYLOAD, ST_CRC };

int ts_appupd_type_known(uint8_t t)
{
	return (t >= TS_APPUPD_HELLO_REQ && t <= TS_APPUPD_ABORT) ||
	       (t >= TS_APPUPD_HELLO && t <= TS_APPUPD_BAUD_OK);
}

int ts_appupd_encode(uint8_t *out, uint32_t cap, uint8_t type, uint8_t seq,
		     const uint8_t *payload, uint16_t len)
{
	if (!ts_appupd_type_known(type) || (len && !payload) || !out)
		return TS_ERR_INVAL;
	if (len > TS_APPUPD_PAYLOAD_MAX)
		return TS_ERR_SIZE;
	uint32_t total = TS_APPUPD_HEAD_LEN + (uint32_t)len + TS_APPUPD_CRC_LEN;
	if (cap < total)
		return TS_ERR_BUFSIZE;
	if (len && payload != out + TS_APPUPD_HEAD_LEN)
		memmove(out + TS_APPUPD_HEAD_LEN, payload, len);
	out[0] = TS_APPUPD_SOF;
	out[1] = type;
	out[2] = seq;
	ts_put16(out + 3, len);
	ts_put32(out + TS_APPUPD_HEAD_LEN + len, ts_crc32(0, out + 1, 4u + (uint32_t)len));
	return (int)total;
}

void ts_appupd_dec_init(struct ts_appupd_dec *d, uint8_t *buf, uint16_t cap)
{
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->cap = cap > TS_APPUPD_PAYLOAD_MAX ? (uint16_t)TS_APPUPD_PAYLOAD_MAX : cap;
	d->state = ST_HUNT;
}

void ts_appupd_dec_reset(struct ts_appupd_dec *d)
{
	d->state = ST_HUNT;
	d->hpos = 0;
	d->pos = 0;
	d->cpos = 0;
}

int ts_appupd_dec_busy(const struct ts_appupd_dec *d)
{
	return d->state != ST_HUNT;
}

int ts_appupd_dec_set_buf(struct ts_appupd_dec *d, uint8_t *buf, uint16_t cap)
{
	if (d->state != ST_HUNT)
		return TS_ERR_STATE;
	d->buf = buf;
	d->cap = cap > TS_APPUPD_PAYLOAD_MAX ? (uint16_t)TS_APPUPD_PAYLOAD_MAX : cap;
	return TS_OK;
}

/* The header is complete: accept it or rescan its last four bytes. */
static int head_done(struct ts_appupd_dec *d, struct ts_appupd_frame *f)
{
	uint8_t type = d->head[1];
	uint16_t len = ts_get16(d->head + 3);
	if (ts_appupd_type_known(type) && len <= d->cap && (len == 0 || d->buf)) {
		d->crc = ts_crc32(0, d->head + 1, 4);
		d->pos = 0;
		d->cpos = 0;
		d->state = len ? ST_PAYLOAD : ST_CRC;
		return 0;
	}
	/* Refused: the 7E was noise, or the frame is not for us. A real frame
	 * may start inside the four bytes that followed; feed them again (each
	 * round consumes at least one byte, so this ends). */
	d->bad_head++;
	uint8_t again[TS_APPUPD_HEAD_LEN - 1];
	memcpy(again, d->head + 1, sizeof(again));
	ts_appupd_dec_reset(d);
	/* A frame needs at least nine bytes: none can complete (nor fail its
	 * CRC) within these four, so the results are all 0. */
	for (unsigned i = 0; i < sizeof(again); i++)
		(void)ts_appupd_dec_push(d, again[i], f);
	return 0;
}

int ts_appupd_dec_push(struct ts_appupd_dec *d, uint8_t byte, struct ts_appupd_frame *f)
{
	switch (d->state) {
	case ST_HUNT:
		if (byte == TS_APPUPD_SOF) {
			d->head[0] = byte;
			d->hpos = 1;
			d->state = ST_HEAD;
		} else {
			d->skipped++;
		}
		return 0;
	case ST_HEAD:
		d->head[d->hpos++] = byte;
		if (d->hpos < TS_APPUPD_HEAD_LEN)
			return 0;
		return head_done(d, f);
	case ST_PAYLOAD:
		/* the CRC runs byte by byte: no long step at the frame's end */
		d->buf[d->pos++] = byte;
		d->crc = ts_crc32(d->crc, &byte, 1);
		if (d->pos == ts_get16(d->head + 3))
			d->state = ST_CRC;
		return 0;
	default: /* ST_CRC */
		d->crcb[d->cpos++] = byte;
		if (d->cpos < TS_APPUPD_CRC_LEN)
			return 0;
		d->state = ST_HUNT;
		if (ts_get32(d->crcb) != d->crc) {
			d->bad_crc++;
			return TS_ERR_CRC;
		}
		d->frames++;
		f->type = d->head[1];
		f->seq = d->head[2];
		f->len = ts_get16(d->head + 3);
		f->payload = d->buf;
		return 1;
	}
}

/* ---- payloads ---- */

static int zeros(const uint8_t *p, unsigned n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

uint16_t ts_appupd_hello_req_pack(uint8_t proto, uint8_t *out)
{
	return ts_appupd_u8_pack(proto, out);
}

int ts_appupd_hello_req_parse(const uint8_t *p, uint16_t len, uint8_t *proto)
{
	return ts_appupd_u8_parse(p, len, proto);
}

uint16_t ts_appupd_hello_pack(const struct ts_appupd_hello *h, uint8_t *out)
{
	out[0] = h->proto;
	out[1] = h->running_slot;
	out[2] = h->window;
	out[3] = h->flags;
	ts_put32(out + 4, h->running_version);
	ts_put32(out + 8, h->product_id);
	ts_put32(out + 12, h->max_baud);
	ts_put16(out + 16, h->max_data);
	ts_put16(out + 18, 0);
	return TS_APPUPD_HELLO_LEN;
}

int ts_appupd_hello_parse(const uint8_t *p, uint16_t len, struct ts_appupd_hello *h)
{
	if (len != TS_APPUPD_HELLO_LEN || !zeros(p + 18, 2))
		return TS_ERR_PROTO;
	h->proto = p[0];
	h->running_slot = p[1];
	h->window = p[2];
	h->flags = p[3];
	h->running_version = ts_get32(p + 4);
	h->product_id = ts_get32(p + 8);
	h->max_baud = ts_get32(p + 12);
	h->max_data = ts_get16(p + 16);
	if (h->running_slot > 1 || h->window == 0 || h->max_data < 4 ||
	    h->max_data > TS_APPUPD_DATA_MAX || (h->max_data & 3u))
		return TS_ERR_PROTO;
	return TS_OK;
}

uint16_t ts_appupd_u32_pack(uint32_t v, uint8_t *out)
{
	ts_put32(out, v);
	return 4;
}

int ts_appupd_u32_parse(const uint8_t *p, uint16_t len, uint32_t *v)
{
	if (len != 4)
		return TS_ERR_PROTO;
	*v = ts_get32(p);
	return TS_OK;
}

uint16_t ts_appupd_nak_pack(int32_t err, uint32_t next, uint8_t *out)
{
	ts_put32(out, (uint32_t)err);
	ts_put32(out + 4, next);
	return TS_APPUPD_NAK_LEN;
}

int ts_appupd_nak_parse(const uint8_t *p, uint16_t len, int32_t *err, uint32_t *next)
{
	if (len != TS_APPUPD_NAK_LEN)
		return TS_ERR_PROTO;
	uint32_t e = ts_get32(p);
	*err = e > 0x7FFFFFFFu ? -(int32_t)(~e) - 1 : (int32_t)e;
	*next = ts_get32(p + 4);
	return TS_OK;
}

uint16_t ts_appupd_begin_pack(const uint8_t header[512], uint32_t image_len, uint8_t *out)
{
	if (out != header)
		memmove(out, header, 512);
	ts_put32(out + 512, image_len);
	return TS_APPUPD_BEGIN_LEN;
}

int ts_appupd_begin_parse(const uint8_t *p, uint16_t len, const uint8_t **header,
			  uint32_t *image_len)
{
	if (len != TS_APPUPD_BEGIN_LEN)
		return TS_ERR_PROTO;
	*header = p;
	*image_len = ts_get32(p + 512);
	return TS_OK;
}

uint16_t ts_appupd_data_pack(uint32_t offset, uint8_t flags, const uint8_t *data,
			     uint16_t n, uint8_t *out)
{
	if (n > TS_APPUPD_DATA_MAX)
		n = TS_APPUPD_DATA_MAX;
	if (n && data != out + TS_APPUPD_DATA_PREFIX)
		memmove(out + TS_APPUPD_DATA_PREFIX, data, n);
	ts_put32(out, offset);
	out[4] = flags;
	out[5] = out[6] = out[7] = 0;
	return (uint16_t)(TS_APPUPD_DATA_PREFIX + n);
}

int ts_appupd_data_parse(const uint8_t *p, uint16_t len, uint32_t *offset, uint8_t *flags,
			 const uint8_t **data, uint16_t *n)
{
	if (len <= TS_APPUPD_DATA_PREFIX || len > TS_APPUPD_PAYLOAD_MAX || !zeros(p + 5, 3) ||
	    (p[4] & ~TS_APPUPD_DATA_ACK_NOW))
		return TS_ERR_PROTO;
	*offset = ts_get32(p);
	*flags = p[4];
	*data = p + TS_APPUPD_DATA_PREFIX;
	*n = (uint16_t)(len - TS_APPUPD_DATA_PREFIX);
	return TS_OK;
}

uint16_t ts_appupd_u8_pack(uint8_t v, uint8_t *out)
{
	out[0] = v;
	out[1] = out[2] = out[3] = 0;
	return 4;
}

int ts_appupd_u8_parse(const uint8_t *p, uint16_t len, uint8_t *v)
{
	if (len != 4 || !zeros(p + 1, 3))
		return TS_ERR_PROTO;
	*v = p[0];
	return TS_OK;
}

uint32_t ts_appupd_brr(uint32_t pclk_hz, uint32_t baud, int32_t *err_ppm)
{
	*err_ppm = 0;
	if (!baud)
		return 0;
	/* USARTDIV in 1/16ths: pclk / baud, rounded (16x oversampling). */
	uint32_t div16 = (uint32_t)(((uint64_t)pclk_hz + baud / 2u) / baud);
	if (div16 < 16u || div16 > 0xFFFFu)
		return 0;
	uint64_t actual = ((uint64_t)pclk_hz + div16 / 2u) / div16;
	int64_t diff = (int64_t)actual - (int64_t)baud;
	*err_ppm = (int32_t)(diff * 1000000 / (int64_t)baud);
	return div16;
}
