/*
 * A small S3 client over the port's http concern: HEAD (change detection by
 * ETag, If-None-Match), GET streamed to a sink with resume after a dropped
 * connection (Range + If-Match, restart when the ETag changed), PUT.
 * Public objects (no credentials), private buckets (SigV4 headers) and
 * presigned URLs (ts_s3_presign, ts_s3_download_url). Path-style
 * (endpoint/bucket/key) or virtual-hosted (bucket.endpoint/key) URLs.
 *
 * Caller's contract: fill struct ts_s3 with ts_s3_init(); it holds all the
 * working buffers (a few KB, no allocation). One request at a time. Keys
 * are raw object keys ("fw/1.1.0/slot-a.img"); they are encoded here.
 * After a failure, s3->error holds one line for people: what was done, to
 * which object, what the server said, and what to try.
 */
#ifndef TWINSLOT_S3_H
#define TWINSLOT_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"
#include "twinslot/sigv4.h"

#define TS_S3_URL_MAX 2048
#define TS_S3_ETAG_MAX 80
#define TS_S3_ERROR_MAX 512

struct ts_s3_config {
	/* "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:4568":
	 * scheme, host and optional port, nothing after. */
	const char *endpoint;
	const char *bucket;
	const char *region;          /* "us-east-1" when NULL */
	bool virtual_hosted;         /* bucket.host/key instead of host/bucket/key */
	/* access_key NULL or "": anonymous requests (public objects). Signed
	 * requests need the port's wall clock. */
	struct ts_sigv4_creds creds;
	uint32_t timeout_ms;         /* per connect / read; 0: 15000 */
	uint32_t max_attempts;       /* GET attempts without progress; 0: 5 */
};

struct ts_s3 {
	const struct ts_port *port;
	struct ts_s3_config cfg;
	char error[TS_S3_ERROR_MAX];   /* last failure, for people */
	char why[160];                 /* the port's cause of the last failed request */
	int status;                    /* last HTTP status (0: none) */
	uint32_t requests;             /* HTTP requests sent since init */
	uint32_t resumes;              /* Range resumes done by downloads */
	uint32_t restarts;             /* restarts because the ETag changed */
	/* working space */
	char url[TS_S3_URL_MAX];
	char host[256];
	char path[TS_SIGV4_MAX_PATH];
	char amz_date[17];
	struct ts_sigv4_result sig;
};

/* What a HEAD or GET learned about an object. */
struct ts_s3_object {
	bool not_modified;             /* 304: If-None-Match matched */
	char etag[TS_S3_ETAG_MAX];     /* as sent, with its quotes */
	uint64_t size;                 /* whole object's size */
};

/* Where a download's bytes go, in order, in pieces of any size. */
struct ts_s3_sink {
	/* offset: position of data in the object. Return TS_OK or a negative
	 * ts_err to stop the download. */
	int (*data)(void *arg, uint64_t offset, const uint8_t *data, size_t len);
	/* The object changed (new ETag) mid-download: everything given so far
	 * is void; bytes start again at offset 0. Optional (NULL: refuse the
	 * change with TS_ERR_STATE). */
	int (*restart)(void *arg, const struct ts_s3_object *now);
	void *arg;
};

/* Check cfg alone (endpoint syntax, bucket name, credentials complete),
 * before anything is opened: TS_OK or TS_ERR_INVAL with one line in err. */
int ts_s3_check_config(const struct ts_s3_config *cfg, char *err, size_t n);

/* ts_s3_check_config, then the port's concerns (http; the wall clock for
 * signed requests). s3->error says what is wrong. */
int ts_s3_init(struct ts_s3 *s3, const struct ts_port *port, const struct ts_s3_config *cfg);

/*
 * HEAD key. With if_none_match (an ETag from before) the server may answer
 * 304: then obj->not_modified is set and nothing else changes. Exactly one
 * request. TS_OK, TS_ERR_NOENT (404), TS_ERR_DENIED (403) or another error.
 */
int ts_s3_head(struct ts_s3 *s3, const char *key, const char *if_none_match,
	       struct ts_s3_object *obj);

/*
 * GET key into sink. If obj->etag is set on entry, that version is wanted
 * (If-Match); a different ETag restarts through sink->restart. A dropped
 * connection resumes with "Range: bytes=N-" where it stopped (up to
 * max_attempts failures in a row without progress). On TS_OK, obj holds the
 * ETag and size of what was delivered, whole.
 */
int ts_s3_download(struct ts_s3 *s3, const char *key, struct ts_s3_object *obj,
		   const struct ts_s3_sink *sink);

/*
 * GET bytes [from, from + len) of key into sink, with the same If-Match,
 * resume and restart rules (sink offsets are object offsets). On TS_OK,
 * obj->size is the whole object's size; a range beyond it is TS_ERR_SIZE.
 */
int ts_s3_download_range(struct ts_s3 *s3, const char *key, uint64_t from, uint64_t len,
			 struct ts_s3_object *obj, const struct ts_s3_sink *sink);

/* Same as ts_s3_download, from a full URL (a presigned or public one). */
int ts_s3_download_url(struct ts_s3 *s3, const char *url, struct ts_s3_object *obj,
		       const struct ts_s3_sink *sink);

/*
 * PUT key with body_len bytes pulled from read_body. payload_sha256_hex is
 * the body's SHA-256 (signed, the server checks it) or NULL for
 * UNSIGNED-PAYLOAD. content_type may be NULL. obj (optional) gets the ETag.
 */
int ts_s3_put(struct ts_s3 *s3, const char *key, const char *content_type,
	      uint64_t body_len, long (*read_body)(void *arg, uint8_t *buf, size_t n),
	      void *body_arg, const char *payload_sha256_hex, struct ts_s3_object *obj);

/* PUT key with the len bytes at data, their SHA-256 signed (a manifest, a
 * report, an image held in memory). */
int ts_s3_put_buf(struct ts_s3 *s3, const char *key, const char *content_type,
		  const void *data, size_t len, struct ts_s3_object *obj);

/* A presigned URL for method ("GET", "HEAD", "PUT") on key, valid
 * expires_s seconds, into s3->url (returned). NULL on failure. */
const char *ts_s3_presign(struct ts_s3 *s3, const char *method, const char *key,
			  uint32_t expires_s);

/* The URL for key (path-style or virtual-hosted), into s3->url. */
const char *ts_s3_url(struct ts_s3 *s3, const char *key);

#endif
