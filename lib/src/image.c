/* Image header encode/parse/validate. Layout: docs/format.md. */
#include <string.h>

#include "twinslot/bytes.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/image.h"

#define OFF_MAGIC      0x00u
#define OFF_HDR_VER    0x04u
#define OFF_HDR_SIZE   0x06u
#define OFF_LOAD       0x08u
#define OFF_APP_SIZE   0x0Cu
#define OFF_VERSION    0x10u
#define OFF_FLAGS      0x14u
#define OFF_PRODUCT    0x18u
#define OFF_COUNTER    0x1Cu
#define OFF_SIG_TYPE   0x40u
#define OFF_SIG_LEN    0x42u
#define OFF_RESERVED1  (TS_IMAGE_OFF_KEY_ID + TS_IMAGE_KEY_ID_LEN) /* 0x88 */

void ts_image_header_encode(const struct ts_image_header *h,
			    uint8_t out[TS_IMAGE_HDR_SIZE])
{
	memset(out, 0, TS_IMAGE_HDR_SIZE);
	ts_put32(out + OFF_MAGIC, TS_IMAGE_MAGIC);
	ts_put16(out + OFF_HDR_VER, h->hdr_version);
	ts_put16(out + OFF_HDR_SIZE, h->hdr_size);
	ts_put32(out + OFF_LOAD, h->load_addr);
	ts_put32(out + OFF_APP_SIZE, h->app_size);
	ts_put32(out + OFF_VERSION, h->version);
	ts_put32(out + OFF_FLAGS, h->flags);
	ts_put32(out + OFF_PRODUCT, h->product_id);
	ts_put32(out + OFF_COUNTER, h->security_counter);
	memcpy(out + TS_IMAGE_OFF_SHA256, h->app_sha256, TS_SHA256_LEN);
	ts_put16(out + OFF_SIG_TYPE, h->sig_type);
	ts_put16(out + OFF_SIG_LEN, h->sig_len);
	memcpy(out + TS_IMAGE_OFF_SIG, h->sig, TS_IMAGE_SIG_MAX);
	memcpy(out + TS_IMAGE_OFF_KEY_ID, h->key_id, TS_IMAGE_KEY_ID_LEN);
	ts_put32(out + TS_IMAGE_OFF_CRC, ts_crc32(0, out, TS_IMAGE_OFF_CRC));
}

static int all_zero(const uint8_t *p, uint32_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

int ts_image_header_parse(const uint8_t in[TS_IMAGE_HDR_SIZE],
			  struct ts_image_header *h)
{
	if (ts_all_ff(in, TS_IMAGE_HDR_SIZE))
		return TS_ERR_BLANK;
	if (ts_get32(in + OFF_MAGIC) != TS_IMAGE_MAGIC)
		return TS_ERR_MAGIC;
	if (ts_get32(in + TS_IMAGE_OFF_CRC) != ts_crc32(0, in, TS_IMAGE_OFF_CRC))
		return TS_ERR_CRC;
	if (ts_get16(in + OFF_HDR_VER) != TS_IMAGE_HDR_VERSION ||
	    ts_get16(in + OFF_HDR_SIZE) != TS_IMAGE_HDR_SIZE)
		return TS_ERR_HDR_VERSION;
	if (!all_zero(in + OFF_RESERVED1, TS_IMAGE_OFF_CRC - OFF_RESERVED1))
		return TS_ERR_RESERVED;

	uint16_t sig_type = ts_get16(in + OFF_SIG_TYPE);
	uint16_t sig_len = ts_get16(in + OFF_SIG_LEN);
	if (ts_get32(in + OFF_FLAGS) != 0)
		return TS_ERR_INVAL;
	if (sig_type == TS_SIG_NONE) {
		if (sig_len != 0 || !all_zero(in + TS_IMAGE_OFF_SIG, TS_IMAGE_SIG_MAX) ||
		    !all_zero(in + TS_IMAGE_OFF_KEY_ID, TS_IMAGE_KEY_ID_LEN))
			return TS_ERR_INVAL;
	} else if (sig_type != TS_SIG_ECDSA_P256 || sig_len != 64) {
		return TS_ERR_INVAL;
	}

	h->hdr_version = TS_IMAGE_HDR_VERSION;
	h->hdr_size = TS_IMAGE_HDR_SIZE;
	h->load_addr = ts_get32(in + OFF_LOAD);
	h->app_size = ts_get32(in + OFF_APP_SIZE);
	h->version = ts_get32(in + OFF_VERSION);
	h->flags = 0;
	h->product_id = ts_get32(in + OFF_PRODUCT);
	h->security_counter = ts_get32(in + OFF_COUNTER);
	memcpy(h->app_sha256, in + TS_IMAGE_OFF_SHA256, TS_SHA256_LEN);
	h->sig_type = sig_type;
	h->sig_len = sig_len;
	memcpy(h->sig, in + TS_IMAGE_OFF_SIG, TS_IMAGE_SIG_MAX);
	memcpy(h->key_id, in + TS_IMAGE_OFF_KEY_ID, TS_IMAGE_KEY_ID_LEN);
	return TS_OK;
}

int ts_image_header_slot(const struct ts_image_header *h, enum ts_slot *slot)
{
	enum ts_slot s;
	if (h->load_addr == TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE)
		s = TS_SLOT_A;
	else if (h->load_addr == TS_SLOT_B_ADDR + TS_IMAGE_HDR_SIZE)
		s = TS_SLOT_B;
	else
		return TS_ERR_ADDR;
	if (h->app_size == 0 || h->app_size > TS_IMAGE_MAX_APP)
		return TS_ERR_SIZE;
	*slot = s;
	return TS_OK;
}

static int in_ram(uint32_t sp, uint32_t base, uint32_t size)
{
	return sp > base && sp <= base + size;
}

int ts_image_check_vectors(const struct ts_image_header *h, uint32_t initial_sp,
			   uint32_t reset_handler)
{
	if ((initial_sp & 3u) != 0 ||
	    !(in_ram(initial_sp, TS_SRAM_BASE, TS_SRAM_SIZE) ||
	      in_ram(initial_sp, TS_CCM_BASE, TS_CCM_SIZE)))
		return TS_ERR_VECTOR;
	if ((reset_handler & 1u) == 0)
		return TS_ERR_VECTOR;
	/* The handler lies after the vector table's first two words. Compare
	 * offsets, not addresses, so nothing wraps around 2^32. */
	uint32_t entry = reset_handler & ~1u;
	if (entry < h->load_addr || entry - h->load_addr < 8u ||
	    entry - h->load_addr >= h->app_size)
		return TS_ERR_VECTOR;
	return TS_OK;
}

int ts_image_check_header(const uint8_t *image, uint32_t len, enum ts_slot slot,
			  struct ts_image_header *h)
{
	enum ts_slot linked;
	int err;

	if (len < TS_IMAGE_HDR_SIZE)
		return TS_ERR_SIZE;
	if ((err = ts_image_header_parse(image, h)) != TS_OK)
		return err;
	if ((err = ts_image_header_slot(h, &linked)) != TS_OK)
		return err;
	if (linked != slot)
		return TS_ERR_ADDR;
	if (h->app_size < 8u || h->app_size > len - TS_IMAGE_HDR_SIZE)
		return TS_ERR_SIZE;

	const uint8_t *app = image + TS_IMAGE_HDR_SIZE;
	return ts_image_check_vectors(h, ts_get32(app), ts_get32(app + 4));
}

int ts_image_check_hash(const uint8_t *image, const struct ts_image_header *h,
			void (*tick)(void))
{
	const uint8_t *app = image + TS_IMAGE_HDR_SIZE;
	struct ts_sha256 c;
	uint8_t digest[TS_SHA256_LEN];
	ts_sha256_init(&c);
	for (uint32_t off = 0; off < h->app_size; off += 4096u) {
		uint32_t n = h->app_size - off < 4096u ? h->app_size - off : 4096u;
		ts_sha256_update(&c, app + off, n);
		if (tick)
			tick();
	}
	ts_sha256_final(&c, digest);
	if (memcmp(digest, h->app_sha256, TS_SHA256_LEN) != 0)
		return TS_ERR_HASH;
	return TS_OK;
}

int ts_image_validate(const uint8_t *image, uint32_t len, enum ts_slot slot,
		      struct ts_image_header *h, void (*tick)(void))
{
	int err = ts_image_check_header(image, len, slot, h);
	return err != TS_OK ? err : ts_image_check_hash(image, h, tick);
}

void ts_image_key_id(const uint8_t point[TS_PUBKEY_LEN], uint8_t id[TS_IMAGE_KEY_ID_LEN])
{
	uint8_t d[TS_SHA256_LEN];
	ts_sha256(point, TS_PUBKEY_LEN, d);
	memcpy(id, d, TS_IMAGE_KEY_ID_LEN);
}

void ts_image_signed_digest(const uint8_t hdr[TS_IMAGE_HDR_SIZE], uint8_t digest[TS_SHA256_LEN])
{
	ts_sha256(hdr, TS_IMAGE_SIGNED_LEN, digest);
}
