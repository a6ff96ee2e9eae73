/*
 * The application update protocol ("app path", docs/app-update.md): the
 * frame codec and the payload layouts shared by the firmware's receive
 * service (firmware/client/twinslot_update.c) and the host engine. One
 * definition, byte for byte, so neither side keeps a copy.
 *
 * Frame, both directions:  7E | type u8 | seq u8 | len u16 LE | payload |
 * CRC-32 u32 LE over type..payload (twinslot/crc32.h). No byte stuffing: a
 * receiver hunts for 7E, checks the header (known type, len within its
 * limit) and the CRC, and on any failure resynchronises on the next 7E.
 *
 * Contract: no allocation, no I/O, freestanding. The decoder writes payload
 * bytes only into the buffer its caller gives it (never past cap) and
 * consumes one byte per call, so it can run from a polled receive loop.
 * Pack functions write exactly the returned number of bytes; parse
 * functions check the exact payload length and every reserved byte.
 */
#ifndef TWINSLOT_APPUPD_H
#define TWINSLOT_APPUPD_H

#include <stdint.h>

#define TS_APPUPD_PROTO        1u     /* protocol version in HELLO_REQ/HELLO */
#define TS_APPUPD_SOF          0x7Eu
#define TS_APPUPD_HEAD_LEN     5u     /* SOF, type, seq, len */
#define TS_APPUPD_CRC_LEN      4u
#define TS_APPUPD_DATA_MAX     1024u  /* image bytes in one DATA frame */
#define TS_APPUPD_DATA_PREFIX  8u     /* DATA: offset u32, flags u8, 3 x 0 */
#define TS_APPUPD_PAYLOAD_MAX  (TS_APPUPD_DATA_MAX + TS_APPUPD_DATA_PREFIX)
#define TS_APPUPD_FRAME_MAX    (TS_APPUPD_HEAD_LEN + TS_APPUPD_PAYLOAD_MAX + TS_APPUPD_CRC_LEN)

/* The host's offer, plain ASCII on the console line at the console baud. */
#define TS_APPUPD_OFFER        "\r\nTSUPD1\r\n"
#define TS_APPUPD_OFFER_LEN    10u

/* Time-outs, in milliseconds (docs/app-update.md "Time-outs"). */
#define TS_APPUPD_HELLO_MS        200u   /* host: offer -> HELLO */
#define TS_APPUPD_REPLY_MS        500u   /* host: HELLO_REQ/BAUD/ABORT/RESTART -> reply */
#define TS_APPUPD_BAUD_CONFIRM_MS 1000u  /* app: no good frame at the new baud -> old baud */
#define TS_APPUPD_INTERBYTE_MS    20u    /* app: silence inside a frame -> drop it */
#define TS_APPUPD_WINDOW_IDLE_MS  50u    /* app: silence with a window open -> ACK */
#define TS_APPUPD_WINDOW_ACK_MS   1000u  /* host: last DATA of a window -> ACK */
#define TS_APPUPD_ERASE_MS        3000u  /* host: per sector to erase after BEGIN */
#define TS_APPUPD_END_MS          5000u  /* host: END -> DONE (may compact the journal) */
#define TS_APPUPD_SESSION_MS      10000u /* app: no good frame in a session -> abandon */

enum ts_appupd_type {
	/* host -> application */
	TS_APPUPD_HELLO_REQ = 0x01,
	TS_APPUPD_BAUD = 0x02,
	TS_APPUPD_BEGIN = 0x03,
	TS_APPUPD_DATA = 0x04,
	TS_APPUPD_END = 0x05,
	TS_APPUPD_RESTART = 0x06,
	TS_APPUPD_ABORT = 0x07,
	/* application -> host */
	TS_APPUPD_HELLO = 0x81,
	TS_APPUPD_ACK = 0x82,
	TS_APPUPD_NAK = 0x83,
	TS_APPUPD_DONE = 0x84,
	TS_APPUPD_RESTARTING = 0x85,
	TS_APPUPD_BAUD_OK = 0x86,
};

/* Is t one of the types above? */
int ts_appupd_type_known(uint8_t t);

/*
 * Encode one frame into out (cap bytes). Returns the frame's length
 * (TS_APPUPD_HEAD_LEN + len + TS_APPUPD_CRC_LEN), or TS_ERR_SIZE when len >
 * TS_APPUPD_PAYLOAD_MAX, TS_ERR_BUFSIZE when cap is too small, TS_ERR_INVAL
 * for an unknown type or a NULL payload with len > 0. payload may point
 * into out + TS_APPUPD_HEAD_LEN (encode in place).
 */
int ts_appupd_encode(uint8_t *out, uint32_t cap, uint8_t type, uint8_t seq,
		     const uint8_t *payload, uint16_t len);

/* A decoded frame: payload points into the decoder's buffer, valid until
 * the next push. */
struct ts_appupd_frame {
	uint8_t type;
	uint8_t seq;
	uint16_t len;
	const uint8_t *payload;
};

/* Incremental decoder. Fields are private; counters may be read. */
struct ts_appupd_dec {
	uint8_t *buf;
	uint16_t cap;
	uint8_t state;
	uint8_t hpos;
	uint8_t head[TS_APPUPD_HEAD_LEN];
	uint16_t pos;
	uint8_t crcb[TS_APPUPD_CRC_LEN];
	uint8_t cpos;
	uint32_t crc;
	uint32_t frames;    /* good frames */
	uint32_t bad_crc;   /* frames dropped for their CRC */
	uint32_t bad_head;  /* headers refused (unknown type, len > cap) */
	uint32_t skipped;   /* bytes skipped while hunting for 7E */
};

/* Start a decoder whose payloads go to buf (cap bytes, at most
 * TS_APPUPD_PAYLOAD_MAX used: frames with len > cap are refused). */
void ts_appupd_dec_init(struct ts_appupd_dec *d, uint8_t *buf, uint16_t cap);

/* Drop a partly received frame and hunt for 7E again (counters kept):
 * what a receiver does after TS_APPUPD_INTERBYTE_MS of silence. */
void ts_appupd_dec_reset(struct ts_appupd_dec *d);

/* Is the decoder inside a frame (between its 7E and its last CRC byte)? */
int ts_appupd_dec_busy(const struct ts_appupd_dec *d);

/* Point later payloads at another buffer. Only between frames (returns
 * TS_ERR_STATE inside one). */
int ts_appupd_dec_set_buf(struct ts_appupd_dec *d, uint8_t *buf, uint16_t cap);

/*
 * Feed one byte. Returns 1 with *f filled when it completed a good frame,
 * 0 when more bytes are needed (including bytes skipped while hunting), or
 * TS_ERR_CRC when a frame failed its CRC (it is dropped; hunting restarts
 * after it). A refused header (unknown type, len > cap) is not reported:
 * the bytes after its 7E are scanned again for a 7E, so a 7E inside noise
 * does not hide a real frame starting within the next four bytes.
 */
int ts_appupd_dec_push(struct ts_appupd_dec *d, uint8_t byte, struct ts_appupd_frame *f);

/* ---- payloads (all integers little-endian) ---- */

#define TS_APPUPD_HELLO_REQ_LEN  4u
#define TS_APPUPD_HELLO_LEN      20u
#define TS_APPUPD_BAUD_LEN       4u
#define TS_APPUPD_BEGIN_LEN      516u  /* 512-byte image header + u32 image length */
#define TS_APPUPD_RESTART_LEN    4u
#define TS_APPUPD_ACK_LEN        4u
#define TS_APPUPD_NAK_LEN        8u
#define TS_APPUPD_DONE_LEN       4u
#define TS_APPUPD_RESTARTING_LEN 4u

/* DATA flags */
#define TS_APPUPD_DATA_ACK_NOW   0x01u  /* last frame of its window: answer now */

/* RESTART modes / RESTARTING status */
#define TS_APPUPD_RESTART_NOW    0u  /* host asks for a restart now */
#define TS_APPUPD_RESTART_READY  1u  /* host asks for a restart when the app is ready */
#define TS_APPUPD_RESTARTING_NOW      0u /* the app resets right after this frame */
#define TS_APPUPD_RESTARTING_DEFERRED 1u /* the app will reset later, when it agrees */

struct ts_appupd_hello {
	uint8_t proto;            /* TS_APPUPD_PROTO */
	uint8_t running_slot;     /* 0 A, 1 B */
	uint8_t window;           /* DATA frames per window, 1..255 */
	uint8_t flags;            /* 0 */
	uint32_t running_version; /* packed version of the running image */
	uint32_t product_id;      /* of the running image */
	uint32_t max_baud;        /* highest baud the app can switch to */
	uint16_t max_data;        /* image bytes per DATA frame, 4..1024, multiple of 4 */
};

/* HELLO_REQ: u8 proto, 3 x 0. */
uint16_t ts_appupd_hello_req_pack(uint8_t proto, uint8_t *out);
int ts_appupd_hello_req_parse(const uint8_t *p, uint16_t len, uint8_t *proto);

/* HELLO: proto, slot, window, flags u8; running_version, product_id,
 * max_baud u32; max_data u16; 2 x 0. */
uint16_t ts_appupd_hello_pack(const struct ts_appupd_hello *h, uint8_t *out);
int ts_appupd_hello_parse(const uint8_t *p, uint16_t len, struct ts_appupd_hello *h);

/* BAUD, BAUD_OK, ACK (next offset), DONE (i32 ts_err): one u32. */
uint16_t ts_appupd_u32_pack(uint32_t v, uint8_t *out);
int ts_appupd_u32_parse(const uint8_t *p, uint16_t len, uint32_t *v);

/* NAK: i32 ts_err, u32 next offset. */
uint16_t ts_appupd_nak_pack(int32_t err, uint32_t next, uint8_t *out);
int ts_appupd_nak_parse(const uint8_t *p, uint16_t len, int32_t *err, uint32_t *next);

/* BEGIN: the 512-byte image header as in the slot, u32 image length
 * (512 + app_size). parse gives a pointer to the header bytes. */
uint16_t ts_appupd_begin_pack(const uint8_t header[512], uint32_t image_len, uint8_t *out);
int ts_appupd_begin_parse(const uint8_t *p, uint16_t len, const uint8_t **header,
			  uint32_t *image_len);

/* DATA: u32 offset (into the application bytes, the header excluded), u8
 * flags, 3 x 0, then 1..TS_APPUPD_DATA_MAX bytes. pack copies the bytes
 * (data may already sit at out + 8). */
uint16_t ts_appupd_data_pack(uint32_t offset, uint8_t flags, const uint8_t *data,
			     uint16_t n, uint8_t *out);
int ts_appupd_data_parse(const uint8_t *p, uint16_t len, uint32_t *offset, uint8_t *flags,
			 const uint8_t **data, uint16_t *n);

/* RESTART (mode) and RESTARTING (status): u8, 3 x 0. */
uint16_t ts_appupd_u8_pack(uint8_t v, uint8_t *out);
int ts_appupd_u8_parse(const uint8_t *p, uint16_t len, uint8_t *v);

/* BRR for a baud on a USART clocked at pclk_hz with 16x oversampling
 * (RM0090 30.3.4: mantissa << 4 | fraction, rounded to the nearest), and
 * the resulting error in parts per million (signed: actual - wanted).
 * Returns 0 (and err 0) when the baud cannot be reached (USARTDIV < 1). */
uint32_t ts_appupd_brr(uint32_t pclk_hz, uint32_t baud, int32_t *err_ppm);

#endif
