/*
 * The S3 client: requests built and signed here, sent through port->http.
 * Downloads resume with Range after a dropped connection and restart when
 * the object's ETag changes; S3's XML error bodies become one clear line.
 */
#include "twinslot/s3.h"

#include <stdio.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/http.h"
#include "twinslot/membuf.h"
#include "twinslot/text.h"
#include "twinslot/sha256.h"

#define MAX_HDRS 10
#define ERRBODY_MAX 1024
#define MAX_RESTARTS 3
#define MAX_ROUNDS 1000 /* hard bound on requests per download */

/* ---- helpers ---------------------------------------------------------- */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool name_is(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

static bool copy(char *dst, size_t n, const char *src)
{
	size_t k = strlen(src);
	if (k >= n)
		return false;
	memcpy(dst, src, k + 1);
	return true;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7E)
			return false;
	return true;
}

static bool parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (p == s)
		return false;
	*out = v;
	if (end)
		*end = p;
	return true;
}

static bool anonymous(const struct ts_s3 *s3)
{
	return !s3->cfg.creds.access_key || !s3->cfg.creds.access_key[0];
}

/* Scheme and host[:port] of the endpoint; false when malformed. */
static bool split_endpoint(const char *ep, const char **scheme_end, const char **host)
{
	const char *h;
	if (strncmp(ep, "https://", 8) == 0)
		h = ep + 8;
	else if (strncmp(ep, "http://", 7) == 0)
		h = ep + 7;
	else
		return false;
	if (!*h || strchr(h, '/') || strchr(h, '?') || strchr(h, '@'))
		return false;
	*scheme_end = h;
	*host = h;
	return true;
}

int ts_s3_check_config(const struct ts_s3_config *cfg, char *err, size_t n)
{
	const char *se, *h;
	if (!cfg->endpoint || !split_endpoint(cfg->endpoint, &se, &h)) {
		snprintf(err, n, "endpoint \"%s\" is not http(s)://HOST[:PORT] with nothing after",
			 cfg->endpoint ? cfg->endpoint : "");
		return TS_ERR_INVAL;
	}
	if (!cfg->bucket || !cfg->bucket[0] || strchr(cfg->bucket, '/')) {
		snprintf(err, n, "bucket name missing or contains '/'");
		return TS_ERR_INVAL;
	}
	bool anon = !cfg->creds.access_key || !cfg->creds.access_key[0];
	if (!anon && (!cfg->creds.secret_key || !cfg->creds.secret_key[0])) {
		snprintf(err, n, "an access key without a secret key");
		return TS_ERR_INVAL;
	}
	return TS_OK;
}

int ts_s3_init(struct ts_s3 *s3, const struct ts_port *port, const struct ts_s3_config *cfg)
{
	if (!s3 || !port || !cfg)
		return TS_ERR_INVAL;
	memset(s3, 0, sizeof *s3);
	s3->port = port;
	s3->cfg = *cfg;
	if (!s3->cfg.region)
		s3->cfg.region = "us-east-1";
	if (!s3->cfg.timeout_ms)
		s3->cfg.timeout_ms = 15000;
	if (!s3->cfg.max_attempts)
		s3->cfg.max_attempts = 5;
	int rc = ts_s3_check_config(cfg, s3->error, sizeof s3->error);
	if (rc)
		return rc;
	unsigned need = TS_NEED_HTTP | (anonymous(s3) ? 0u : TS_NEED_WALL_TIME);
	return ts_port_require(port, need, s3->error, sizeof s3->error);
}

/* s3->amz_date from the port's wall clock. */
static int stamp(struct ts_s3 *s3)
{
	uint64_t now = 0;
	int rc = s3->port->clock->wall_time(s3->port->clock_ctx, &now);
	if (rc) {
		snprintf(s3->error, sizeof s3->error, "the wall clock is not set (%s): requests "
			 "cannot be signed until it is (NTP/SNTP)", ts_strerror(rc));
		return rc;
	}
	ts_sigv4_amz_date(now, s3->amz_date);
	return TS_OK;
}

/* Fill s3->host, s3->path (raw, for signing) and s3->url for key. */
static int locate(struct ts_s3 *s3, const char *key)
{
	const char *se, *h;
	split_endpoint(s3->cfg.endpoint, &se, &h);
	size_t scheme_len = (size_t)(se - s3->cfg.endpoint);
	int n;
	if (s3->cfg.virtual_hosted)
		n = snprintf(s3->host, sizeof s3->host, "%s.%s", s3->cfg.bucket, h);
	else
		n = snprintf(s3->host, sizeof s3->host, "%s", h);
	if (n < 0 || (size_t)n >= sizeof s3->host)
		return TS_ERR_BUFSIZE;
	if (s3->cfg.virtual_hosted)
		n = snprintf(s3->path, sizeof s3->path, "/%s", key);
	else
		n = snprintf(s3->path, sizeof s3->path, "/%s/%s", s3->cfg.bucket, key);
	if (n < 0 || (size_t)n >= sizeof s3->path)
		return TS_ERR_BUFSIZE;
	size_t ul = scheme_len + strlen(s3->host);
	if (ul + 1 >= sizeof s3->url)
		return TS_ERR_BUFSIZE;
	memcpy(s3->url, s3->cfg.endpoint, scheme_len);
	memcpy(s3->url + scheme_len, s3->host, strlen(s3->host) + 1);
	long k = ts_sigv4_uri_encode(s3->path, true, s3->url + ul, sizeof s3->url - ul);
	return k < 0 ? TS_ERR_BUFSIZE : TS_OK;
}

const char *ts_s3_url(struct ts_s3 *s3, const char *key)
{
	return locate(s3, key) == TS_OK ? s3->url : NULL;
}

const char *ts_s3_presign(struct ts_s3 *s3, const char *method, const char *key,
			  uint32_t expires_s)
{
	if (anonymous(s3) || locate(s3, key) != TS_OK || stamp(s3) != TS_OK)
		return NULL;
	size_t ul = strlen(s3->url);
	if (ul + 2 >= sizeof s3->url)
		return NULL;
	s3->url[ul++] = '?';
	struct ts_sigv4_request req = { .method = method, .host = s3->host, .path = s3->path,
					.payload_hash = TS_SIGV4_UNSIGNED_PAYLOAD };
	struct ts_sigv4_params p = { .creds = s3->cfg.creds, .region = s3->cfg.region,
				     .service = "s3", .amz_date = s3->amz_date,
				     .query_signing = true, .expires_s = expires_s };
	s3->sig.query = s3->url + ul;
	s3->sig.query_cap = sizeof s3->url - ul;
	s3->sig.canonical = NULL;
	s3->sig.string_to_sign = NULL;
	if (ts_sigv4_sign(&req, &p, &s3->sig) != TS_OK)
		return NULL;
	return s3->url;
}

/* ---- one request ------------------------------------------------------ */

struct xfer {
	struct ts_s3 *s3;
	int status;
	struct ts_s3_object seen;
	bool has_length, has_range, has_date;
	uint64_t length, range_start, range_total;
	uint64_t date;           /* the server's Date, Unix seconds */
	char body[ERRBODY_MAX];
	size_t blen;
	/* download state */
	const struct ts_s3_sink *sink;
	const char *want_etag;   /* "" or NULL: any */
	uint64_t offset;         /* next byte the sink expects */
	uint64_t end;            /* first byte not wanted (UINT64_MAX: to the end) */
	uint64_t skip;           /* bytes to drop (a 200 to a Range request) */
	uint64_t delivered;      /* bytes given to the sink in this request */
	bool etag_mismatch;
	int sink_err;
};

#define ABORT_ETAG (-1000)
#define ABORT_DONE (-1001) /* a 200 to a Range request delivered the range */

static int on_status(void *arg, int status)
{
	struct xfer *x = arg;
	/* A second response in one request (after a 100 Continue, say):
	 * forget the first one's headers. The first status may come after its
	 * headers (esp_http_client learns it at their end; port.h). */
	if (x->status) {
		x->has_length = x->has_range = x->has_date = false;
		x->seen.etag[0] = '\0';
	}
	x->status = status;
	/* A 200 to a Range request: the body starts at 0, drop what the sink
	 * already has. */
	x->skip = (status == 200 && x->sink) ? x->offset : 0;
	return TS_OK;
}

static int on_header(void *arg, const char *name, const char *value)
{
	struct xfer *x = arg;
	if (name_is(name, "etag")) {
		/* RFC 9110's etagc is printable ASCII: anything else (a control
		 * character that would reach logs and terminals) is no ETag. */
		if (!copy(x->seen.etag, sizeof x->seen.etag, value) || !printable(value))
			x->seen.etag[0] = '\0';
	} else if (name_is(name, "content-length")) {
		x->has_length = parse_u64(value, NULL, &x->length);
	} else if (name_is(name, "content-range")) {
		/* "bytes START-END/TOTAL" */
		const char *p = value;
		uint64_t end;
		x->has_range = strncmp(p, "bytes ", 6) == 0 &&
			       parse_u64(p + 6, &p, &x->range_start) && *p == '-' &&
			       parse_u64(p + 1, &p, &end) && *p == '/' &&
			       parse_u64(p + 1, NULL, &x->range_total);
	} else if (name_is(name, "date")) {
		x->has_date = ts_http_date_parse(value, &x->date) == TS_OK;
	}
	return TS_OK;
}

static int on_body(void *arg, const uint8_t *data, size_t len)
{
	struct xfer *x = arg;
	if (!x->sink || (x->status != 200 && x->status != 206)) {
		size_t room = sizeof x->body - 1 - x->blen;
		size_t k = len < room ? len : room;
		memcpy(x->body + x->blen, data, k);
		x->blen += k;
		x->body[x->blen] = '\0';
		return TS_OK;
	}
	if (x->want_etag && x->want_etag[0] && strcmp(x->want_etag, x->seen.etag) != 0) {
		x->etag_mismatch = true;
		return ABORT_ETAG;
	}
	if (x->skip) {
		size_t k = x->skip < len ? (size_t)x->skip : len;
		x->skip -= k;
		data += k;
		len -= k;
		if (!len)
			return TS_OK;
	}
	bool last = len >= x->end - x->offset;
	if (last)
		len = (size_t)(x->end - x->offset);
	int rc = len ? x->sink->data(x->sink->arg, x->offset, data, len) : TS_OK;
	if (rc < 0) {
		x->sink_err = rc;
		return rc;
	}
	x->offset += len;
	x->delivered += len;
	return last && x->status == 200 ? ABORT_DONE : TS_OK;
}

/* Text between <tag> and </tag> in body, into out, for one line of text:
 * XML's five entities decoded, every other byte outside printable ASCII
 * (a newline, an escape sequence, UTF-8) shown as '?', cut to n - 1. The
 * server's words end up in logs and on terminals. */
static bool xml_field(const char *body, const char *tag, char *out, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} E[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' },
		  { "&apos;", '\'' } };
	char open[32], close[32];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = strstr(body, open);
	if (!a)
		return false;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return false;
	size_t k = 0;
	while (a < b && k + 1 < n) {
		char c = *a++;
		if (c == '&') {
			for (size_t i = 0; i < sizeof E / sizeof E[0]; i++) {
				size_t el = strlen(E[i].ent);
				if ((size_t)(b - (a - 1)) >= el && memcmp(a - 1, E[i].ent, el) == 0) {
					c = E[i].c;
					a += el - 1;
					break;
				}
			}
		}
		out[k++] = (c >= 0x20 && c < 0x7F) ? c : '?';
	}
	out[k] = '\0';
	return true;
}

/* When the server's Date and this machine's wall clock differ by more than
 * S3's 15 minutes, say so in out (empty otherwise). */
static void clock_skew(const struct ts_s3 *s3, const struct xfer *x, char *out, size_t n)
{
	uint64_t now = 0;
	out[0] = '\0';
	if (!x->has_date || !s3->port->clock || !s3->port->clock->wall_time ||
	    s3->port->clock->wall_time(s3->port->clock_ctx, &now) != TS_OK)
		return;
	int64_t d = (int64_t)(now - x->date);
	uint64_t ad = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
	if (ad <= 15 * 60)
		return;
	snprintf(out, n, "this machine's clock is %llu s (%llu min) %s the server's Date: S3 "
		 "refuses requests more than 15 minutes off: set the time (NTP)",
		 (unsigned long long)ad, (unsigned long long)(ad / 60),
		 d < 0 ? "behind" : "ahead of");
}

static const char *hint(const char *code, int status)
{
	static const struct {
		const char *code;
		const char *hint;
	} H[] = {
		{ "NoSuchKey", "the object is not there: check the prefix and that the release was published" },
		{ "NoSuchBucket", "check the bucket name, the endpoint and the region" },
		{ "AccessDenied", "the credentials lack permission, or the object is private and no credentials were given" },
		{ "SignatureDoesNotMatch", "the secret access key is wrong (or something altered the request)" },
		{ "InvalidAccessKeyId", "the access key id is unknown to this server" },
		{ "RequestTimeTooSkewed", "this machine's clock is more than 15 minutes off: set the time (NTP)" },
		{ "ExpiredToken", "the session token has expired: get fresh credentials" },
		{ "InvalidToken", "the session token is malformed or for another account" },
		{ "AuthorizationHeaderMalformed", "the region is wrong for this bucket" },
		{ "PermanentRedirect", "the bucket is in another region: set that region or its endpoint" },
		{ "InvalidRange", "the object is shorter than expected: it changed while being read" },
		{ "PreconditionFailed", "the object changed (ETag differs)" },
		{ "SlowDown", "the server asks to slow down: retry later" },
	};
	for (size_t i = 0; i < sizeof H / sizeof H[0]; i++)
		if (strcmp(code, H[i].code) == 0)
			return H[i].hint;
	if (status == 404)
		return "the object or bucket is not there";
	if (status == 403)
		return "access denied (wrong credentials, clock, or a private object)";
	if (status >= 500)
		return "the server failed: retry later";
	return "unexpected answer";
}

static int http_error(struct ts_s3 *s3, const char *method, const char *what,
		      const struct xfer *x)
{
	char code[64] = "", msg[160] = "", skew[200] = "";
	xml_field(x->body, "Code", code, sizeof code);
	xml_field(x->body, "Message", msg, sizeof msg);
	/* A HEAD's 403 has no body to say RequestTimeTooSkewed: the Date does. */
	if (x->status == 403 || strcmp(code, "RequestTimeTooSkewed") == 0)
		clock_skew(s3, x, skew, sizeof skew);
	const char *h = skew[0] ? skew : hint(code, x->status);
	if (code[0])
		snprintf(s3->error, sizeof s3->error, "%s %s: %s (HTTP %d): %s", method, what,
			 code, x->status, h);
	else
		snprintf(s3->error, sizeof s3->error, "%s %s: HTTP %d: %s", method, what,
			 x->status, h);
	if (msg[0]) {
		size_t l = strlen(s3->error);
		snprintf(s3->error + l, sizeof s3->error - l, " [server: %s]", msg);
	}
	if (x->status == 404 || strcmp(code, "NoSuchKey") == 0 ||
	    strcmp(code, "NoSuchBucket") == 0)
		return TS_ERR_NOENT;
	if (x->status == 403 || x->status == 401)
		return TS_ERR_DENIED;
	return TS_ERR_REMOTE;
}

struct body_src {
	long (*read)(void *arg, uint8_t *buf, size_t n);
	void *arg;
	uint64_t len;
	const char *hash;
	const char *content_type;
};

/*
 * Send one request for key (or for url when key is NULL), with the extra
 * headers h[0..nh) (signed too). Returns the port's result.
 */
static int send(struct ts_s3 *s3, const char *method, const char *key, const char *url,
		struct ts_http_header *h, size_t nh, const struct body_src *body,
		struct xfer *x)
{
	struct ts_http_header all[MAX_HDRS];
	size_t n = 0;
	if (body && body->content_type)
		h[nh++] = (struct ts_http_header){ "Content-Type", body->content_type };
	for (size_t i = 0; i < nh; i++)
		all[n++] = h[i];
	const char *req_url = url;
	if (key) {
		int rc = locate(s3, key);
		if (rc) {
			snprintf(s3->error, sizeof s3->error, "%s: key too long", method);
			return rc;
		}
		req_url = s3->url;
		all[n++] = (struct ts_http_header){ "Host", s3->host };
		if (!anonymous(s3)) {
			if ((rc = stamp(s3)) != TS_OK)
				return rc;
			const char *ph = body ? (body->hash ? body->hash : TS_SIGV4_UNSIGNED_PAYLOAD)
					      : TS_SIGV4_EMPTY_SHA256;
			struct ts_sigv4_request req = { .method = method, .host = s3->host,
							.path = s3->path, .headers = h,
							.nheaders = nh, .payload_hash = ph };
			struct ts_sigv4_params p = { .creds = s3->cfg.creds,
						     .region = s3->cfg.region, .service = "s3",
						     .amz_date = s3->amz_date,
						     .content_sha256_header = true };
			s3->sig.canonical = NULL;
			s3->sig.string_to_sign = NULL;
			s3->sig.query = NULL;
			int rc2 = ts_sigv4_sign(&req, &p, &s3->sig);
			if (rc2) {
				snprintf(s3->error, sizeof s3->error, "%s %s: signing failed: %s",
					 method, key, ts_strerror(rc2));
				return rc2;
			}
			all[n++] = (struct ts_http_header){ "X-Amz-Date", s3->amz_date };
			all[n++] = (struct ts_http_header){ "X-Amz-Content-Sha256", ph };
			if (s3->cfg.creds.session_token && s3->cfg.creds.session_token[0])
				all[n++] = (struct ts_http_header){ "X-Amz-Security-Token",
								    s3->cfg.creds.session_token };
			all[n++] = (struct ts_http_header){ "Authorization", s3->sig.authorization };
		}
	}
	struct ts_http_request req = {
		.method = method, .url = req_url, .headers = all, .nheaders = n,
		.body_len = body ? body->len : 0,
		.read_body = body ? body->read : NULL,
		.body_arg = body ? body->arg : NULL,
		.timeout_ms = s3->cfg.timeout_ms,
	};
	struct ts_http_response resp = { on_status, on_header, on_body, x };
	s3->requests++;
	s3->why[0] = '\0';
	int rc = s3->port->http->request(s3->port->http_ctx, &req, &resp, s3->why, sizeof s3->why);
	s3->status = x->status;
	return rc;
}

/* Why a request failed: the port's words if it gave any. */
static const char *cause(const struct ts_s3 *s3, int rc)
{
	return s3->why[0] ? s3->why : ts_strerror(rc);
}

static void describe(const struct ts_s3 *s3, const char *key, const char *url, char *out,
		     size_t n)
{
	if (key || !url)
		snprintf(out, n, "s3://%s/%s", s3->cfg.bucket, key ? key : "");
	else {
		/* A presigned URL's query is a credential: leave it out. */
		size_t k = strcspn(url, "?");
		snprintf(out, n, "%.*s", (int)(k < 200 ? k : 200), url);
	}
}

/* ---- operations ------------------------------------------------------- */

/* One request that is not a download: sent once; a transport failure
 * leaves "METHOD what: cause" in s3->error. what (200 bytes) names the
 * object for the caller's own messages. */
static int request(struct ts_s3 *s3, const char *method, const char *key,
		   struct ts_http_header *h, size_t nh, const struct body_src *body,
		   struct xfer *x, char *what)
{
	memset(x, 0, sizeof *x);
	x->s3 = s3;
	s3->error[0] = '\0';
	describe(s3, key, NULL, what, 200);
	int rc = send(s3, method, key, NULL, h, nh, body, x);
	if (rc < 0 && !s3->error[0])
		snprintf(s3->error, sizeof s3->error, "%s %s: %s", method, what, cause(s3, rc));
	return rc;
}

int ts_s3_head(struct ts_s3 *s3, const char *key, const char *if_none_match,
	       struct ts_s3_object *obj)
{
	struct ts_http_header h[MAX_HDRS];
	size_t nh = 0;
	if (if_none_match && if_none_match[0])
		h[nh++] = (struct ts_http_header){ "If-None-Match", if_none_match };
	struct xfer x;
	char what[200];
	int rc = request(s3, "HEAD", key, h, nh, NULL, &x, what);
	if (rc < 0)
		return rc;
	memset(obj, 0, sizeof *obj);
	if (x.status == 304 && !(if_none_match && if_none_match[0])) {
		snprintf(s3->error, sizeof s3->error,
			 "HEAD %s: 304 Not Modified to a request without If-None-Match", what);
		return TS_ERR_PROTO;
	}
	if (x.status == 304) {
		obj->not_modified = true;
		copy(obj->etag, sizeof obj->etag, if_none_match);
		return TS_OK;
	}
	if (x.status != 200)
		return http_error(s3, "HEAD", what, &x);
	if (!x.seen.etag[0] || !x.has_length) {
		snprintf(s3->error, sizeof s3->error, "HEAD %s: answer without ETag or length",
			 what);
		return TS_ERR_PROTO;
	}
	*obj = x.seen;
	obj->size = x.length;
	return TS_OK;
}

/* Where a download stands between attempts. */
struct download {
	struct ts_s3 *s3;
	const char *key, *url;       /* url when key is NULL */
	const struct ts_s3_sink *sink;
	uint64_t from, end;          /* the bytes wanted (end UINT64_MAX: to the end) */
	char what[200];              /* the object, for messages */
	char want[TS_S3_ETAG_MAX];   /* the ETag insisted on ("": any, at first) */
	uint64_t offset;             /* next byte to ask for */
	uint64_t size;               /* the object's size, when size_known */
	bool size_known;
};

#define GET_CHANGED 1 /* the object changed: restart from d->from */
#define GET_CUT 2     /* dropped or ended short: resume from d->offset */

/*
 * One ranged GET from d->offset: Range and If-Match, send, check status,
 * ETag and Content-Range, bytes to the sink. Returns TS_OK when the bytes
 * wanted are all there, GET_CHANGED, GET_CUT (*net: the port's result), or
 * an error. x holds the answer for the caller.
 */
static int get_once(struct download *d, struct xfer *x, int *net)
{
	struct ts_s3 *s3 = d->s3;
	const char *what = d->what;
	uint64_t from = d->from, end = d->end, offset = d->offset;
	char range[48];
	struct ts_http_header h[MAX_HDRS];
	size_t nh = 0;
	if (end != UINT64_MAX) {
		snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)offset,
			 (unsigned long long)(end - 1));
		h[nh++] = (struct ts_http_header){ "Range", range };
	} else if (offset > 0) {
		snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)offset);
		h[nh++] = (struct ts_http_header){ "Range", range };
	}
	if (d->want[0])
		h[nh++] = (struct ts_http_header){ "If-Match", d->want };
	memset(x, 0, sizeof *x);
	x->s3 = s3;
	x->sink = d->sink;
	x->want_etag = d->want;
	x->offset = offset;
	x->end = end;
	int rc = send(s3, "GET", d->key, d->url, h, nh, NULL, x);
	if (rc == ABORT_DONE)
		rc = TS_OK;
	if (x->sink_err)
		return x->sink_err;
	bool changed = x->etag_mismatch || x->status == 412;
	if (!changed && rc >= 0 && x->status != 200 && x->status != 206)
		return http_error(s3, "GET", what, x);
	if (!changed && x->status == 206 && x->delivered == 0 && x->has_range &&
	    x->range_start != offset) {
		snprintf(s3->error, sizeof s3->error,
			 "GET %s: asked for bytes from %llu, got from %llu", what,
			 (unsigned long long)offset, (unsigned long long)x->range_start);
		return TS_ERR_PROTO;
	}
	if (changed)
		return GET_CHANGED;
	/* 200 or 206, complete or cut. */
	if (!d->want[0] && x->seen.etag[0])
		copy(d->want, sizeof d->want, x->seen.etag);
	if (x->status == 206 && x->has_range) {
		d->size = x->range_total;
		d->size_known = true;
	} else if (x->status == 200 && x->has_length) {
		d->size = x->length;
		d->size_known = true;
	}
	d->offset = offset = x->offset;
	uint64_t size = d->size;
	if (rc >= 0 && d->size_known && end != UINT64_MAX && end > size) {
		snprintf(s3->error, sizeof s3->error,
			 "GET %s: bytes %llu-%llu asked for, the object has %llu", what,
			 (unsigned long long)from, (unsigned long long)(end - 1),
			 (unsigned long long)size);
		return TS_ERR_SIZE;
	}
	if (rc >= 0 && d->size_known && offset == (end != UINT64_MAX ? end : size))
		return TS_OK;
	if (rc >= 0 && d->size_known && offset > size) {
		snprintf(s3->error, sizeof s3->error, "GET %s: more bytes than announced",
			 what);
		return TS_ERR_PROTO;
	}
	*net = rc;
	return GET_CUT;
}

/* Before the attempt after `fails` server errors in a row: 250 ms, doubled
 * each time, at most 4 s (when the port can sleep). */
static void backoff(struct ts_s3 *s3, uint32_t fails)
{
	uint32_t ms = 250u << (fails > 5 ? 4 : fails - 1);
	if (s3->port->clock && s3->port->clock->sleep_ms)
		s3->port->clock->sleep_ms(s3->port->clock_ctx, ms > 4000 ? 4000 : ms);
}

/*
 * GET [from, end) of key (or url) into sink, attempt after attempt: resume
 * with Range where an attempt stopped, give up after max_attempts in a row
 * without progress, restart from the beginning when the ETag changes.
 */
static int download(struct ts_s3 *s3, const char *key, const char *url, uint64_t from,
		    uint64_t end, struct ts_s3_object *obj, const struct ts_s3_sink *sink)
{
	struct download d = { .s3 = s3, .key = key, .url = url, .sink = sink,
			      .from = from, .end = end, .offset = from };
	const char *what = d.what;
	describe(s3, key, url, d.what, sizeof d.what);
	s3->error[0] = '\0';
	copy(d.want, sizeof d.want, obj->etag);
	uint32_t fails = 0, restarts = 0;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct xfer x;
		int rc = TS_OK;
		int got = get_once(&d, &x, &rc);
		if (got == TS_OK) {
			copy(obj->etag, sizeof obj->etag, d.want);
			obj->size = d.size;
			obj->not_modified = false;
			return TS_OK;
		}
		if (got == GET_CHANGED) {
			if (++restarts > MAX_RESTARTS) {
				snprintf(s3->error, sizeof s3->error,
					 "GET %s: the object keeps changing (%u restarts)", what,
					 (unsigned)(restarts - 1));
				return TS_ERR_STATE;
			}
			struct ts_s3_object now = { 0 };
			if (x.status != 412)
				copy(now.etag, sizeof now.etag, x.seen.etag);
			if (!sink->restart) {
				snprintf(s3->error, sizeof s3->error,
					 "GET %s: the object changed (ETag %s, wanted %s)", what,
					 now.etag[0] ? now.etag : "?", d.want);
				return TS_ERR_STATE;
			}
			int r2 = sink->restart(sink->arg, &now);
			if (r2 < 0)
				return r2;
			s3->restarts++;
			copy(d.want, sizeof d.want, now.etag);
			d.offset = from;
			d.size_known = false;
			fails = 0;
			continue;
		}
		/* A server error (500 InternalError, 503 SlowDown...): S3 asks to
		 * retry after a pause; an attempt without progress, like a drop. */
		bool server_error = got == TS_ERR_REMOTE && x.status >= 500 && x.status <= 599;
		if (got != GET_CUT && !server_error)
			return got;
		/* Dropped (or ended short): resume where it stopped. */
		if (x.delivered > 0 && !server_error)
			fails = 0;
		else
			fails++;
		if (server_error) {
			if (fails >= s3->cfg.max_attempts)
				return got; /* s3->error has the server's words */
			backoff(s3, fails);
			s3->resumes++;
			continue;
		}
		if (fails >= s3->cfg.max_attempts) {
			snprintf(s3->error, sizeof s3->error,
				 "GET %s: connection failed %u times in a row at byte %llu (%s)",
				 what, (unsigned)fails, (unsigned long long)d.offset,
				 rc < 0 ? ts_strerror(rc) : "ended early");
			return rc < 0 ? rc : TS_ERR_IO;
		}
		s3->resumes++;
	}
	snprintf(s3->error, sizeof s3->error, "GET %s: gave up after %d requests", what,
		 MAX_ROUNDS);
	return TS_ERR_IO;
}

int ts_s3_download(struct ts_s3 *s3, const char *key, struct ts_s3_object *obj,
		   const struct ts_s3_sink *sink)
{
	if (!s3 || !key || !obj || !sink || !sink->data)
		return TS_ERR_INVAL;
	return download(s3, key, NULL, 0, UINT64_MAX, obj, sink);
}

int ts_s3_download_range(struct ts_s3 *s3, const char *key, uint64_t from, uint64_t len,
			 struct ts_s3_object *obj, const struct ts_s3_sink *sink)
{
	if (!s3 || !key || !obj || !sink || !sink->data || len == 0 ||
	    from > UINT64_MAX - 1 - len)
		return TS_ERR_INVAL;
	return download(s3, key, NULL, from, from + len, obj, sink);
}

int ts_s3_download_url(struct ts_s3 *s3, const char *url, struct ts_s3_object *obj,
		       const struct ts_s3_sink *sink)
{
	if (!s3 || !url || !obj || !sink || !sink->data)
		return TS_ERR_INVAL;
	return download(s3, NULL, url, 0, UINT64_MAX, obj, sink);
}

int ts_s3_put(struct ts_s3 *s3, const char *key, const char *content_type,
	      uint64_t body_len, long (*read_body)(void *arg, uint8_t *buf, size_t n),
	      void *body_arg, const char *payload_sha256_hex, struct ts_s3_object *obj)
{
	if (!s3 || !key || (body_len && !read_body))
		return TS_ERR_INVAL;
	struct ts_http_header h[MAX_HDRS];
	struct body_src b = { read_body, body_arg, body_len, payload_sha256_hex, content_type };
	struct xfer x;
	char what[200];
	int rc = request(s3, "PUT", key, h, 0, &b, &x, what);
	if (rc < 0)
		return rc;
	if (x.status != 200)
		return http_error(s3, "PUT", what, &x);
	if (obj) {
		memset(obj, 0, sizeof *obj);
		copy(obj->etag, sizeof obj->etag, x.seen.etag);
		obj->size = body_len;
	}
	return TS_OK;
}

int ts_s3_put_buf(struct ts_s3 *s3, const char *key, const char *content_type,
		  const void *data, size_t len, struct ts_s3_object *obj)
{
	uint8_t h[TS_SHA256_LEN];
	char hex[2 * TS_SHA256_LEN + 1];
	struct ts_membuf b = { data, len, 0 };
	if (len && !data)
		return TS_ERR_INVAL;
	ts_sha256(data, len, h);
	ts_hex(h, sizeof h, hex);
	return ts_s3_put(s3, key, content_type, len, ts_membuf_read, &b, hex, obj);
}
