/*
 * Input layout shared by the fuzz targets and the seed generator.
 *
 * Byte 0 of every input is a mode byte; the rest is the data under test.
 * Mode bits let the fuzzer get past the CRC (and the hash) so it can
 * explore the checks behind them, which it could not do by mutation alone.
 */
#ifndef TS_FUZZ_COMMON_H
#define TS_FUZZ_COMMON_H

/* fuzz_image_header: data = slot image bytes (header, then application). */
#define FZ_HDR_FIX_CRC  0x01 /* recompute the header CRC before parsing */
#define FZ_HDR_FIX_HASH 0x02 /* store the application's real SHA-256 first */

/* fuzz_journal_scan: data = journal bytes, nrec = size / 32. */
#define FZ_J_PRESENT_A  0x01 /* slot A holds an image ...              */
#define FZ_J_PRESENT_B  0x02 /* ... slot B holds an image              */
#define FZ_J_NO_IDS     0x04 /* scan with ids == NULL (inspection)     */
#define FZ_J_FIX_CRC    0x08 /* recompute every non-blank record's CRC */
/* bits 4..7: the slot ids copy version and hash from record positions
 * (mode >> 4) and (mode >> 4) + 1, modulo nrec. */

/* fuzz_appupd_decode: data = a byte stream from the line; the payload
 * buffer holds mode * 8 bytes (at most TS_APPUPD_PAYLOAD_MAX). */

#endif
