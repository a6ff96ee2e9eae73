/*
 * twinslot error codes: the one error enum of the whole project.
 *
 * Every function that can fail returns 0 (TS_OK) or one of these negative
 * codes. ts_strerror() is the one place that maps a code to text; it never
 * returns NULL. Freestanding: usable in firmware and on hosts.
 */
#ifndef TWINSLOT_ERR_H
#define TWINSLOT_ERR_H

enum ts_err {
	TS_OK = 0,
	TS_ERR_INVAL = -1,        /* invalid argument */
	TS_ERR_MAGIC = -2,        /* magic number missing */
	TS_ERR_CRC = -3,          /* CRC mismatch */
	TS_ERR_HDR_VERSION = -4,  /* unsupported header version or size */
	TS_ERR_RESERVED = -5,     /* reserved field not zero */
	TS_ERR_ADDR = -6,         /* address is not where it must be */
	TS_ERR_SIZE = -7,         /* size out of range */
	TS_ERR_VECTOR = -8,       /* implausible vector table */
	TS_ERR_HASH = -9,         /* SHA-256 mismatch */
	TS_ERR_SEMVER = -10,      /* malformed semantic version */
	TS_ERR_FULL = -11,        /* journal full: compaction needed */
	TS_ERR_NOENT = -12,       /* nothing found */
	TS_ERR_BLANK = -13,       /* erased (all 0xFF) */
	TS_ERR_FLASH = -14,       /* flash controller reported an error */
	TS_ERR_TIMEOUT = -15,     /* operation timed out */
	TS_ERR_IO = -16,          /* input/output error */
	TS_ERR_FORMAT = -17,      /* input file malformed */
	TS_ERR_NACK = -18,        /* peer answered NACK */
	TS_ERR_PROTO = -19,       /* protocol violation */
	TS_ERR_BUFSIZE = -20,     /* buffer too small */
	TS_ERR_UNSUPPORTED = -21, /* not supported */
	TS_ERR_STATE = -22,       /* operation not valid in this state */
	TS_ERR_DENIED = -23,      /* refused by a server: access denied, bad signature */
	TS_ERR_REMOTE = -24,      /* a server reported an error */
	TS_ERR_BUSY = -25,        /* in use by another program (serial port, pins) */
	TS_ERR_CANCELED = -26,    /* stopped on request (a signal) */
	TS_ERR_AUTH = -27,        /* not authentic: unsigned, unknown key, bad signature */
};

/* Short description of an error code, e.g. "CRC mismatch". Never NULL. */
const char *ts_strerror(int err);

#endif
