/* The http concern on libcurl: see http_curl.h. */
#include "http_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "twinslot/err.h"
#include "twinslot/http.h"

struct call {
	struct ts_http_curl *c;
	const struct ts_http_request *req;
	const struct ts_http_response *resp;
	int cb_err;
};

static size_t on_header_line(char *buf, size_t size, size_t n, void *arg)
{
	struct call *k = arg;
	size_t len = size * n;
	int rc = ts_http_header_line(buf, len, k->resp);
	if (rc < 0) {
		k->cb_err = rc;
		return 0;
	}
	return len;
}

static size_t on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct call *k = arg;
	size_t len = size * n;
	if (k->resp->on_body) {
		int rc = k->resp->on_body(k->resp->arg, (const uint8_t *)buf, len);
		if (rc < 0) {
			k->cb_err = rc;
			return 0;
		}
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct call *k = arg;
	long got = k->req->read_body(k->req->body_arg, (uint8_t *)buf, size * n);
	if (got < 0) {
		k->cb_err = (int)got;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	(void)h;
	(void)data;
	struct ts_http_curl *c = arg;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		c->bytes_out += size;
	else if (type == CURLINFO_HEADER_IN || type == CURLINFO_DATA_IN)
		c->bytes_in += size;
	return 0;
}

int ts_http_curl_init(struct ts_http_curl *c, const char *ca_file)
{
	memset(c, 0, sizeof *c);
	c->ca_file = ca_file;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return TS_ERR_IO;
	c->easy = curl_easy_init();
	return c->easy ? TS_OK : TS_ERR_IO;
}

void ts_http_curl_close(struct ts_http_curl *c)
{
	if (c->easy)
		curl_easy_cleanup(c->easy);
	c->easy = NULL;
}

/* The cause of a failed transfer, named for people. */
static const char *cause_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: return "cannot connect (refused, or no route to the host)";
	case CURLE_COULDNT_RESOLVE_HOST: return "DNS: cannot resolve the host name";
	case CURLE_COULDNT_RESOLVE_PROXY: return "DNS: cannot resolve the proxy";
	case CURLE_OPERATION_TIMEDOUT: return "timed out";
	case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed";
	case CURLE_PEER_FAILED_VERIFICATION: return "TLS: the server's certificate is not trusted";
	case CURLE_SSL_CACERT_BADFILE: return "TLS: cannot read the CA file";
	case CURLE_SSL_CERTPROBLEM: return "TLS: client certificate problem";
	case CURLE_GOT_NOTHING: return "the server closed the connection without answering";
	case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_PARTIAL_FILE:
		return "the connection dropped";
	case CURLE_URL_MALFORMAT: case CURLE_UNSUPPORTED_PROTOCOL: return "invalid URL";
	default: return "transfer failed";
	}
}

static int request(void *ctx, const struct ts_http_request *req,
		   const struct ts_http_response *resp, char *why, size_t why_len)
{
	struct ts_http_curl *c = ctx;
	CURL *h = c->easy;
	if (!h || !req || !req->url || !req->method || !resp)
		return TS_ERR_INVAL;
	if (req->body_len && !req->read_body)
		return TS_ERR_INVAL;
	curl_easy_reset(h);
	c->error[0] = '\0';
	c->bytes_out = c->bytes_in = 0;

	struct call k = { c, req, resp, 0 };
	struct curl_slist *hl = NULL;
	/* No Accept or Expect lines unless asked for: fewer bytes per poll,
	 * and no 100-continue round trip before an upload. */
	hl = curl_slist_append(hl, "Accept:");
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; i < req->nheaders; i++) {
		char line[4096];
		int n = snprintf(line, sizeof line, "%s: %s", req->headers[i].name,
				 req->headers[i].value);
		if (n < 0 || (size_t)n >= sizeof line) {
			curl_slist_free_all(hl);
			return TS_ERR_BUFSIZE;
		}
		struct curl_slist *t = curl_slist_append(hl, line);
		if (!t) {
			curl_slist_free_all(hl);
			return TS_ERR_IO;
		}
		hl = t;
	}

	curl_easy_setopt(h, CURLOPT_URL, req->url);
#if CURL_AT_LEAST_VERSION(7, 85, 0)
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	uint32_t t = req->timeout_ms ? req->timeout_ms : 15000;
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t);
	/* "for each read": abort when under 1 byte/s for the time-out. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)(t + 999) / 1000);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header_line);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &k);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &k);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body_len) {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, &k);
		}
	}

	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	c->total_out += c->bytes_out;
	c->total_in += c->bytes_in;
	if (k.cb_err)
		return k.cb_err;
	if (rc == CURLE_OK)
		return TS_OK;
	if (!c->error[0])
		snprintf(c->error, sizeof c->error, "%s", curl_easy_strerror(rc));
	if (why && why_len)
		snprintf(why, why_len, "%s (%s)", cause_of(rc), c->error);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return TS_ERR_TIMEOUT;
	return TS_ERR_IO;
}

const struct ts_http_ops ts_http_curl_ops = { request };
