/*
 * AWS Signature Version 4. The canonical request is streamed into SHA-256
 * (and, when the caller asks, copied into its buffer): nothing is allocated,
 * the only sizeable stack buffers are the normalized path and the signed
 * header list.
 */
#include "twinslot/sigv4.h"

#include <string.h>

#include "twinslot/err.h"
#include "twinslot/sha256.h"
#include "twinslot/text.h"

/* ---- small helpers ---------------------------------------------------- */

static const char HEXU[] = "0123456789ABCDEF";

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Encoded form of one byte into e (1 or 3 chars); returns the length. */
static size_t enc_byte(unsigned char c, bool keep_slash, char e[3])
{
	if (unreserved(c) || (keep_slash && c == '/')) {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '%';
	e[1] = HEXU[c >> 4];
	e[2] = HEXU[c & 15];
	return 3;
}

long ts_sigv4_uri_encode(const char *s, bool keep_slash, char *out, size_t n)
{
	size_t len = 0;
	for (; *s; s++) {
		char e[3];
		size_t k = enc_byte((unsigned char)*s, keep_slash, e);
		if (len + k >= n)
			return TS_ERR_BUFSIZE;
		memcpy(out + len, e, k);
		len += k;
	}
	if (n == 0)
		return TS_ERR_BUFSIZE;
	out[len] = '\0';
	return (long)len;
}

/* Compare the encoded forms of a and b without building them. */
static int enc_cmp(const char *a, const char *b)
{
	char ea[3], eb[3];
	size_t na = 0, nb = 0, ia = 0, ib = 0;
	for (;;) {
		if (ia == na) {
			if (!*a)
				break;
			na = enc_byte((unsigned char)*a++, false, ea);
			ia = 0;
		}
		if (ib == nb) {
			if (!*b)
				return 1;
			nb = enc_byte((unsigned char)*b++, false, eb);
			ib = 0;
		}
		if (ea[ia] != eb[ib])
			return (unsigned char)ea[ia] < (unsigned char)eb[ib] ? -1 : 1;
		ia++;
		ib++;
	}
	return (ib == nb && !*b) ? 0 : -1;
}

static int lower_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = lower(*a), cb = lower(*b);
		if (ca != cb)
			return (unsigned char)ca < (unsigned char)cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

/* ---- output: SHA-256 plus an optional copy ---------------------------- */

struct sink {
	struct ts_sha256 sha;
	char *copy;
	size_t cap, len;
	bool overflow;
};

static void sink_init(struct sink *s, char *copy, size_t cap)
{
	ts_sha256_init(&s->sha);
	s->copy = copy;
	s->cap = cap;
	s->len = 0;
	s->overflow = false;
}

static void put(struct sink *s, const char *p, size_t n)
{
	ts_sha256_update(&s->sha, p, n);
	if (s->copy) {
		if (s->len + n >= s->cap) {
			s->overflow = true;
		} else {
			memcpy(s->copy + s->len, p, n);
			s->len += n;
			s->copy[s->len] = '\0';
		}
	}
}

static void puts_(struct sink *s, const char *p)
{
	put(s, p, strlen(p));
}

static void put_enc(struct sink *s, const char *p, bool keep_slash, bool twice)
{
	for (; *p; p++) {
		char e[3];
		size_t k = enc_byte((unsigned char)*p, keep_slash, e);
		if (twice && k == 3) {
			put(s, "%25", 3);
			put(s, e + 1, 2);
		} else {
			put(s, e, k);
		}
	}
}

/* A header value trimmed, with inner white-space runs as one space. */
static void put_value(struct sink *s, const char *v)
{
	while (is_ws(*v))
		v++;
	bool space = false;
	for (; *v; v++) {
		if (is_ws(*v)) {
			space = true;
			continue;
		}
		if (space)
			put(s, " ", 1);
		space = false;
		put(s, v, 1);
	}
}

static void put_lower(struct sink *s, const char *p)
{
	for (; *p; p++) {
		char c = lower(*p);
		put(s, &c, 1);
	}
}

/* ---- path normalization (RFC 3986 dot segments, empty segments) -------- */

static int normalize(const char *in, char *out, size_t n)
{
	/* out always starts with '/'; segments are appended as "/seg". */
	size_t len = 0;
	const char *p = in;
	bool trailing = false;
	while (*p) {
		while (*p == '/')
			p++;
		const char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t sl = (size_t)(p - seg);
		trailing = (*p == '/') || sl == 0;
		if (sl == 0)
			break;
		if (sl == 1 && seg[0] == '.') {
			trailing = true;
			continue;
		}
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' before the dropped segment */
			trailing = true;
			continue;
		}
		if (len + 1 + sl >= n)
			return TS_ERR_BUFSIZE;
		out[len++] = '/';
		memcpy(out + len, seg, sl);
		len += sl;
	}
	if (len == 0 || trailing) {
		if (len + 1 >= n)
			return TS_ERR_BUFSIZE;
		out[len++] = '/';
	}
	out[len] = '\0';
	return TS_OK;
}

/* ---- the signature ---------------------------------------------------- */

struct hdr {
	const char *name;
	const char *value;
};

static bool date_ok(const char *d)
{
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return false;
	return true;
}

static int append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t k = strlen(s);
	if (*len + k >= cap)
		return TS_ERR_BUFSIZE;
	memcpy(buf + *len, s, k + 1);
	*len += k;
	return TS_OK;
}

/* Decimal digits of v, NUL-terminated. */
static void u32_dec(uint32_t v, char out[12])
{
	char tmp[12];
	size_t k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < k; i++)
		out[i] = tmp[k - 1 - i];
	out[k] = '\0';
}

/* What the steps of one signature share, in the order they are made. */
struct signing {
	const struct ts_sigv4_request *req;
	const struct ts_sigv4_params *p;
	const char *token;   /* the session token, NULL when there is none */
	const char *payload; /* the hashed payload */
	char date8[9];       /* YYYYMMDD */
	char scope[160];     /* date8/region/service/aws4_request */
	struct hdr h[TS_SIGV4_MAX_HEADERS + 4];
	size_t nh;
	char signed_headers[512];
	char credential[TS_SIGV4_AUTH_MAX / 2]; /* access_key/scope */
	char expires[12];
	struct ts_sigv4_param q[TS_SIGV4_MAX_QUERY + 6];
	size_t nq;
	char request_hash[65]; /* hex SHA-256 of the canonical request */
};

/* The credential scope, date8/region/service/aws4_request, and date8. */
static int credential_scope(struct signing *s)
{
	const struct ts_sigv4_params *p = s->p;
	memcpy(s->date8, p->amz_date, 8);
	s->date8[8] = '\0';
	size_t sl = 0;
	if (append(s->scope, sizeof s->scope, &sl, s->date8) ||
	    append(s->scope, sizeof s->scope, &sl, "/") ||
	    append(s->scope, sizeof s->scope, &sl, p->region) ||
	    append(s->scope, sizeof s->scope, &sl, "/") ||
	    append(s->scope, sizeof s->scope, &sl, p->service) ||
	    append(s->scope, sizeof s->scope, &sl, "/aws4_request"))
		return TS_ERR_BUFSIZE;
	return TS_OK;
}

/* The headers to sign, sorted by lower-case name, and SignedHeaders. */
static int canonical_headers(struct signing *s)
{
	const struct ts_sigv4_request *req = s->req;
	const struct ts_sigv4_params *p = s->p;
	struct hdr *h = s->h;
	size_t nh = 0;
	if (req->nheaders > TS_SIGV4_MAX_HEADERS)
		return TS_ERR_BUFSIZE;
	h[nh++] = (struct hdr){ "host", req->host };
	for (size_t i = 0; i < req->nheaders; i++) {
		if (!req->headers[i].name || !req->headers[i].value)
			return TS_ERR_INVAL;
		h[nh++] = (struct hdr){ req->headers[i].name, req->headers[i].value };
	}
	if (!p->query_signing) {
		h[nh++] = (struct hdr){ "x-amz-date", p->amz_date };
		if (p->content_sha256_header)
			h[nh++] = (struct hdr){ "x-amz-content-sha256", s->payload };
		if (s->token && !p->omit_session_token)
			h[nh++] = (struct hdr){ "x-amz-security-token", s->token };
	}
	/* Stable: a repeated name keeps its values' order. */
	for (size_t i = 1; i < nh; i++)
		for (size_t j = i; j > 0 && lower_cmp(h[j - 1].name, h[j].name) > 0; j--) {
			struct hdr t = h[j];
			h[j] = h[j - 1];
			h[j - 1] = t;
		}
	s->nh = nh;

	char *sh = s->signed_headers;
	size_t shl = 0;
	sh[0] = '\0';
	for (size_t i = 0; i < nh; i++) {
		if (i > 0 && lower_cmp(h[i - 1].name, h[i].name) == 0)
			continue;
		if (shl + strlen(h[i].name) + 2 >= sizeof s->signed_headers)
			return TS_ERR_BUFSIZE;
		if (i > 0)
			sh[shl++] = ';';
		for (const char *c = h[i].name; *c; c++)
			sh[shl++] = lower(*c);
		sh[shl] = '\0';
	}
	return TS_OK;
}

/* The query parameters (a presigned URL's X-Amz-* too), sorted by encoded
 * name, then encoded value. */
static int canonical_query(struct signing *s)
{
	const struct ts_sigv4_request *req = s->req;
	const struct ts_sigv4_params *p = s->p;
	size_t cl = 0;
	if (append(s->credential, sizeof s->credential, &cl, p->creds.access_key) ||
	    append(s->credential, sizeof s->credential, &cl, "/") ||
	    append(s->credential, sizeof s->credential, &cl, s->scope))
		return TS_ERR_BUFSIZE;
	u32_dec(p->expires_s, s->expires);
	struct ts_sigv4_param *q = s->q;
	size_t nq = 0;
	if (req->nquery > TS_SIGV4_MAX_QUERY)
		return TS_ERR_BUFSIZE;
	for (size_t i = 0; i < req->nquery; i++) {
		if (!req->query[i].name || !req->query[i].value)
			return TS_ERR_INVAL;
		q[nq++] = req->query[i];
	}
	if (p->query_signing) {
		q[nq++] = (struct ts_sigv4_param){ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" };
		q[nq++] = (struct ts_sigv4_param){ "X-Amz-Credential", s->credential };
		q[nq++] = (struct ts_sigv4_param){ "X-Amz-Date", p->amz_date };
		q[nq++] = (struct ts_sigv4_param){ "X-Amz-Expires", s->expires };
		q[nq++] = (struct ts_sigv4_param){ "X-Amz-SignedHeaders", s->signed_headers };
		if (s->token && !p->omit_session_token)
			q[nq++] = (struct ts_sigv4_param){ "X-Amz-Security-Token", s->token };
	}
	for (size_t i = 1; i < nq; i++)
		for (size_t j = i; j > 0; j--) {
			int c = enc_cmp(q[j - 1].name, q[j].name);
			if (c == 0)
				c = enc_cmp(q[j - 1].value, q[j].value);
			if (c <= 0)
				break;
			struct ts_sigv4_param t = q[j];
			q[j] = q[j - 1];
			q[j - 1] = t;
		}
	s->nq = nq;
	return TS_OK;
}

/* Step 1: the canonical request, streamed into SHA-256 (and the caller's
 * copy); its hex hash into s->request_hash. */
static int canonical_request(struct signing *s, struct ts_sigv4_result *out)
{
	const struct ts_sigv4_request *req = s->req;
	const struct ts_sigv4_params *p = s->p;
	const char *path = req->path;
	char npath[TS_SIGV4_MAX_PATH];
	if (p->normalize_path) {
		int rc = normalize(req->path, npath, sizeof npath);
		if (rc)
			return rc;
		path = npath;
	}
	struct sink cr;
	sink_init(&cr, out->canonical, out->canonical_cap);
	puts_(&cr, req->method);
	put(&cr, "\n", 1);
	put_enc(&cr, path, true, p->double_encode);
	put(&cr, "\n", 1);
	for (size_t i = 0; i < s->nq; i++) {
		if (i > 0)
			put(&cr, "&", 1);
		put_enc(&cr, s->q[i].name, false, false);
		put(&cr, "=", 1);
		put_enc(&cr, s->q[i].value, false, false);
	}
	put(&cr, "\n", 1);
	for (size_t i = 0; i < s->nh; i++) {
		bool same = i > 0 && lower_cmp(s->h[i - 1].name, s->h[i].name) == 0;
		if (same) {
			put(&cr, ",", 1);
		} else {
			if (i > 0)
				put(&cr, "\n", 1);
			put_lower(&cr, s->h[i].name);
			put(&cr, ":", 1);
		}
		put_value(&cr, s->h[i].value);
	}
	put(&cr, "\n\n", 2);
	puts_(&cr, s->signed_headers);
	put(&cr, "\n", 1);
	puts_(&cr, s->payload);
	if (cr.overflow)
		return TS_ERR_BUFSIZE;
	uint8_t digest[TS_SHA256_LEN];
	ts_sha256_final(&cr.sha, digest);
	ts_hex(digest, sizeof digest, s->request_hash);
	return TS_OK;
}

/* Step 3: the signing key, HMAC chained over date, region, service and
 * "aws4_request" from "AWS4" + the secret key. */
static int signing_key(const struct signing *s, uint8_t key[TS_SHA256_LEN])
{
	const struct ts_sigv4_params *p = s->p;
	char k0[4 + 128 + 1] = "AWS4";
	size_t kl = 4;
	if (append(k0, sizeof k0, &kl, p->creds.secret_key))
		return TS_ERR_BUFSIZE;
	ts_hmac_sha256(k0, kl, s->date8, 8, key);
	memset(k0, 0, sizeof k0);
	ts_hmac_sha256(key, TS_SHA256_LEN, p->region, strlen(p->region), key);
	ts_hmac_sha256(key, TS_SHA256_LEN, p->service, strlen(p->service), key);
	ts_hmac_sha256(key, TS_SHA256_LEN, "aws4_request", 12, key);
	return TS_OK;
}

/* Steps 2 and 4: the string to sign, streamed into the caller's copy and
 * into HMAC under the signing key; the hex result into out->signature. */
static int signature(const struct signing *s, const uint8_t key[TS_SHA256_LEN],
		     struct ts_sigv4_result *out)
{
	struct ts_hmac_sha256 mac;
	struct sink sts;
	sink_init(&sts, out->string_to_sign, out->string_to_sign_cap);
	ts_hmac_sha256_init(&mac, key, TS_SHA256_LEN);
	const char *parts[] = { "AWS4-HMAC-SHA256\n", s->p->amz_date, "\n", s->scope, "\n",
				s->request_hash };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		puts_(&sts, parts[i]);
		ts_hmac_sha256_update(&mac, parts[i], strlen(parts[i]));
	}
	if (sts.overflow)
		return TS_ERR_BUFSIZE;
	uint8_t sig[TS_SHA256_LEN];
	ts_hmac_sha256_final(&mac, sig);
	memset(&mac, 0, sizeof mac);
	ts_hex(sig, sizeof sig, out->signature);
	return TS_OK;
}

/* Header signing: the Authorization header's value. */
static int authorization_header(const struct signing *s, struct ts_sigv4_result *out)
{
	char *a = out->authorization;
	size_t cap = sizeof out->authorization, al = 0;
	a[0] = '\0';
	if (append(a, cap, &al, "AWS4-HMAC-SHA256 Credential=") ||
	    append(a, cap, &al, s->credential) || append(a, cap, &al, ", SignedHeaders=") ||
	    append(a, cap, &al, s->signed_headers) || append(a, cap, &al, ", Signature=") ||
	    append(a, cap, &al, out->signature))
		return TS_ERR_BUFSIZE;
	return TS_OK;
}

/* Query signing: the presigned query, the canonical query, then the token if
 * it was left out of the signature, then the signature. */
static int presigned_query(const struct signing *s, struct ts_sigv4_result *out)
{
	size_t ql = 0;
	out->query[0] = '\0';
	for (size_t i = 0; i < s->nq + 2; i++) {
		const char *name, *value;
		if (i < s->nq) {
			name = s->q[i].name;
			value = s->q[i].value;
		} else if (i == s->nq) {
			if (!s->token || !s->p->omit_session_token)
				continue;
			name = "X-Amz-Security-Token";
			value = s->token;
		} else {
			name = "X-Amz-Signature";
			value = out->signature;
		}
		if (ql > 0 && append(out->query, out->query_cap, &ql, "&"))
			return TS_ERR_BUFSIZE;
		long k = ts_sigv4_uri_encode(name, false, out->query + ql, out->query_cap - ql);
		if (k < 0)
			return TS_ERR_BUFSIZE;
		ql += (size_t)k;
		if (append(out->query, out->query_cap, &ql, "="))
			return TS_ERR_BUFSIZE;
		k = ts_sigv4_uri_encode(value, false, out->query + ql, out->query_cap - ql);
		if (k < 0)
			return TS_ERR_BUFSIZE;
		ql += (size_t)k;
	}
	return TS_OK;
}

int ts_sigv4_sign(const struct ts_sigv4_request *req, const struct ts_sigv4_params *p,
		  struct ts_sigv4_result *out)
{
	if (!req || !p || !out || !req->method || !req->host || !req->path ||
	    req->path[0] != '/' || !p->creds.access_key || !p->creds.secret_key ||
	    !p->region || !p->service || !date_ok(p->amz_date))
		return TS_ERR_INVAL;
	if (p->query_signing && (p->expires_s < 1 || p->expires_s > 604800 || !out->query))
		return TS_ERR_INVAL;
	struct signing s = {
		.req = req,
		.p = p,
		.token = (p->creds.session_token && p->creds.session_token[0])
				 ? p->creds.session_token : NULL,
		.payload = req->payload_hash ? req->payload_hash : TS_SIGV4_EMPTY_SHA256,
	};
	int rc = credential_scope(&s);
	if (!rc)
		rc = canonical_headers(&s);
	if (!rc)
		rc = canonical_query(&s);
	if (!rc)
		rc = canonical_request(&s, out);
	if (rc)
		return rc;
	uint8_t key[TS_SHA256_LEN];
	rc = signing_key(&s, key);
	if (rc)
		return rc;
	rc = signature(&s, key, out);
	memset(key, 0, sizeof key);
	if (rc)
		return rc;
	return p->query_signing ? presigned_query(&s, out) : authorization_header(&s, out);
}

/* ---- time ------------------------------------------------------------- */

void ts_sigv4_amz_date(uint64_t unix_s, char out[17])
{
	uint64_t days = unix_s / 86400, rem = unix_s % 86400;
	/* Howard Hinnant's civil_from_days, for days since 1970 >= 0. */
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	unsigned v[6] = { (unsigned)y, (unsigned)m, (unsigned)d, (unsigned)(rem / 3600),
			  (unsigned)(rem / 60 % 60), (unsigned)(rem % 60) };
	char *o = out;
	o[0] = (char)('0' + v[0] / 1000 % 10);
	o[1] = (char)('0' + v[0] / 100 % 10);
	o[2] = (char)('0' + v[0] / 10 % 10);
	o[3] = (char)('0' + v[0] % 10);
	o += 4;
	for (int k = 1; k < 6; k++) {
		if (k == 3)
			*o++ = 'T';
		*o++ = (char)('0' + v[k] / 10 % 10);
		*o++ = (char)('0' + v[k] % 10);
	}
	*o++ = 'Z';
	*o = '\0';
}
