/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256), on lib's ts_sha256/ts_hmac_sha256.
 *
 * Signs one request either with headers (Authorization, X-Amz-Date, and
 * optionally X-Amz-Content-Sha256 and X-Amz-Security-Token) or with query
 * parameters (a presigned URL). The canonical request is hashed as it is
 * produced, never held whole in memory; callers that want to see it (tests,
 * debugging) pass a buffer for a copy.
 *
 * Caller's contract: every string is NUL-terminated; the path and the query
 * names/values are RAW (not percent-encoded): this module encodes them once
 * (S3's rule) or twice (double_encode, the rule of most other services).
 * No allocation; all output goes to the caller's buffers. At most
 * TS_SIGV4_MAX_HEADERS headers and TS_SIGV4_MAX_QUERY query parameters
 * (TS_ERR_BUFSIZE beyond), paths up to TS_SIGV4_MAX_PATH bytes.
 */
#ifndef TWINSLOT_SIGV4_H
#define TWINSLOT_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"

#define TS_SIGV4_MAX_HEADERS 16
#define TS_SIGV4_MAX_QUERY 16
#define TS_SIGV4_MAX_PATH 1024
#define TS_SIGV4_AUTH_MAX 768

/* SHA-256 of the empty string, hex: the payload hash of a bodiless request. */
#define TS_SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define TS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct ts_sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL or "" when there is none */
};

/* A query parameter, raw (not encoded). value may be "" but not NULL. */
struct ts_sigv4_param {
	const char *name;
	const char *value;
};

struct ts_sigv4_request {
	const char *method;   /* "GET", "HEAD", "PUT", ... */
	const char *host;     /* the Host header: "bucket.s3.amazonaws.com",
			       * "127.0.0.1:4568" */
	const char *path;     /* raw absolute path, "/" at least */
	const struct ts_sigv4_param *query;
	size_t nquery;
	/* Further headers to sign (Range, If-None-Match, Content-Type, ...).
	 * Names in any case, values are trimmed and inner runs of white space
	 * (also folded lines) become one space; repeated names are joined with
	 * ',' in the given order. Do not pass Host or the X-Amz-* headers this
	 * module adds. */
	const struct ts_http_header *headers;
	size_t nheaders;
	/* Hex SHA-256 of the body, TS_SIGV4_UNSIGNED_PAYLOAD, or NULL for the
	 * hash of an empty body. */
	const char *payload_hash;
};

struct ts_sigv4_params {
	struct ts_sigv4_creds creds;
	const char *region;      /* "us-east-1" */
	const char *service;     /* "s3" */
	const char *amz_date;    /* "20150830T123600Z" (see ts_sigv4_amz_date) */
	bool query_signing;      /* presigned URL instead of Authorization */
	uint32_t expires_s;      /* query signing: X-Amz-Expires (1..604800) */
	bool normalize_path;     /* drop "." and ".." segments and empty
				  * segments (not for S3: keys may hold them) */
	bool double_encode;      /* encode the path twice (not S3) */
	bool content_sha256_header; /* header signing: add and sign
				     * X-Amz-Content-Sha256 (S3 requires it) */
	bool omit_session_token; /* sign without the token, add it afterwards
				  * (some services want it so) */
};

struct ts_sigv4_result {
	char signature[65];                      /* lower-case hex */
	char authorization[TS_SIGV4_AUTH_MAX];   /* header signing: the value */
	/* Query signing: the caller's buffer for the whole query string to put
	 * after '?', already encoded, X-Amz-Signature last. */
	char *query;
	size_t query_cap;
	/* Optional copies for tests and debugging (NULL: not wanted). */
	char *canonical;
	size_t canonical_cap;
	char *string_to_sign;
	size_t string_to_sign_cap;
};

/*
 * Sign req. Header signing: the caller sends, besides its own headers, Host,
 * "X-Amz-Date: <amz_date>", Authorization (out->authorization), and when
 * asked X-Amz-Content-Sha256 (the payload hash) and X-Amz-Security-Token.
 * Returns TS_OK, TS_ERR_INVAL (missing field, bad date, expires out of
 * range) or TS_ERR_BUFSIZE (an output buffer or a limit is too small).
 */
int ts_sigv4_sign(const struct ts_sigv4_request *req, const struct ts_sigv4_params *p,
		  struct ts_sigv4_result *out);

/* "YYYYMMDDTHHMMSSZ" for seconds since 1970-01-01 UTC. */
void ts_sigv4_amz_date(uint64_t unix_s, char out[17]);

/*
 * Percent-encode s the SigV4 way (RFC 3986 unreserved kept, everything else
 * %XX upper-case); '/' kept when keep_slash. Returns the length written
 * (NUL-terminated) or TS_ERR_BUFSIZE.
 */
long ts_sigv4_uri_encode(const char *s, bool keep_slash, char *out, size_t n);

#endif
