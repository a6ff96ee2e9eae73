/*
 * libFuzzer target: the app-path frame decoder (ts_appupd_dec_push) on any
 * byte stream, with the payload buffer's size from the mode byte, and the
 * payload parsers on every frame it delivers. Invariants (abort when
 * broken): a delivered frame's bytes are exactly the last 9 + len input
 * bytes, they re-encode to themselves (so the CRC was checked), its length
 * is within the buffer; no write outside the buffer (ASan: the buffer is an
 * exact-size heap block); a parsed HELLO re-packs to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "twinslot/appupd.h"
#include "twinslot/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_payload(const struct ts_appupd_frame *f)
{
	uint8_t again[TS_APPUPD_PAYLOAD_MAX];
	uint8_t v8;
	uint32_t v32, next;
	int32_t err;
	const uint8_t *p;
	uint16_t n;
	struct ts_appupd_hello h;
	switch (f->type) {
	case TS_APPUPD_HELLO:
		if (ts_appupd_hello_parse(f->payload, f->len, &h) == TS_OK &&
		    (ts_appupd_hello_pack(&h, again) != f->len ||
		     memcmp(again, f->payload, f->len) != 0))
			abort();
		break;
	case TS_APPUPD_HELLO_REQ:
	case TS_APPUPD_RESTART:
	case TS_APPUPD_RESTARTING:
		if (ts_appupd_u8_parse(f->payload, f->len, &v8) == TS_OK && f->len != 4)
			abort();
		break;
	case TS_APPUPD_NAK:
		if (ts_appupd_nak_parse(f->payload, f->len, &err, &next) == TS_OK &&
		    (ts_appupd_nak_pack(err, next, again) != f->len ||
		     memcmp(again, f->payload, f->len) != 0))
			abort();
		break;
	case TS_APPUPD_BEGIN:
		if (ts_appupd_begin_parse(f->payload, f->len, &p, &v32) == TS_OK &&
		    p != f->payload)
			abort();
		break;
	case TS_APPUPD_DATA:
		if (ts_appupd_data_parse(f->payload, f->len, &v32, &v8, &p, &n) == TS_OK &&
		    (n == 0 || n > TS_APPUPD_DATA_MAX || p + n != f->payload + f->len))
			abort();
		break;
	default:
		(void)ts_appupd_u32_parse(f->payload, f->len, &v32);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1u << 16)
		return 0;
	/* mode byte: payload buffer of (mode * 8) bytes, at most the maximum */
	uint32_t cap = (uint32_t)data[0] * 8u;
	if (cap > TS_APPUPD_PAYLOAD_MAX)
		cap = TS_APPUPD_PAYLOAD_MAX;
	uint8_t *buf = malloc(cap ? cap : 1);
	if (!buf)
		return 0;
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, buf, (uint16_t)cap);
	uint8_t frame[TS_APPUPD_FRAME_MAX];
	for (size_t i = 1; i < size; i++) {
		struct ts_appupd_frame f;
		int r = ts_appupd_dec_push(&d, data[i], &f);
		if (r == 1) {
			size_t total = TS_APPUPD_HEAD_LEN + (size_t)f.len + TS_APPUPD_CRC_LEN;
			if (f.len > cap || total > i || f.payload != buf)
				abort();
			int n = ts_appupd_encode(frame, sizeof(frame), f.type, f.seq, f.payload, f.len);
			if (n != (int)total || memcmp(frame, data + i + 1 - total, total) != 0)
				abort(); /* delivered something that is not the input's last frame */
			parse_payload(&f);
		} else if (r != 0 && r != TS_ERR_CRC) {
			abort();
		}
		/* an occasional "silence" from the input: byte 0xFF after 0xFF 0xFF */
		if (i >= 3 && data[i] == 0xFF && data[i - 1] == 0xFF && data[i - 2] == 0xFF)
			ts_appupd_dec_reset(&d);
	}
	if (d.frames + d.bad_crc > size)
		abort();
	free(buf);
	return 0;
}
