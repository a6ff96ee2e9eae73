/* The http concern on esp_http_client's streaming API: open (sends the
 * request line and headers), write the body, fetch_headers, read the body.
 * Response headers exist only as HTTP_EVENT_ON_HEADER events (the client
 * has no getter for them), so they reach on_header from the event handler.
 * esp_http_client learns the status at the end of the headers: on_status
 * comes after them and before the body (port.h allows that order). https
 * URLs verify the server with the ESP-IDF certificate bundle. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "esp32_port.h"
#include "twinslot/err.h"

#define CHUNK 1024

struct call {
	const struct ts_http_response *resp;
	int cb_err;
};

static esp_err_t on_event(esp_http_client_event_t *evt)
{
	struct call *k = evt->user_data;
	if (evt->event_id == HTTP_EVENT_ON_HEADER && !k->cb_err && k->resp->on_header &&
	    evt->header_key && evt->header_value) {
		int rc = k->resp->on_header(k->resp->arg, evt->header_key, evt->header_value);
		if (rc < 0)
			k->cb_err = rc;
	}
	return ESP_OK;
}

static bool method_of(const char *m, esp_http_client_method_t *out)
{
	static const struct {
		const char *name;
		esp_http_client_method_t m;
	} M[] = { { "GET", HTTP_METHOD_GET }, { "HEAD", HTTP_METHOD_HEAD },
		  { "PUT", HTTP_METHOD_PUT }, { "POST", HTTP_METHOD_POST },
		  { "DELETE", HTTP_METHOD_DELETE } };
	for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
		if (strcmp(m, M[i].name) == 0) {
			*out = M[i].m;
			return true;
		}
	return false;
}

static int fail(char *why, size_t why_len, int rc, const char *what, esp_err_t err)
{
	if (why && why_len)
		snprintf(why, why_len, "%s (%s)", what, esp_err_to_name(err));
	return rc;
}

static int send_body(esp_http_client_handle_t h, const struct ts_http_request *req, char *why,
		     size_t why_len)
{
	char buf[CHUNK];
	uint64_t sent = 0;
	while (sent < req->body_len) {
		uint64_t left = req->body_len - sent;
		long got = req->read_body(req->body_arg, (uint8_t *)buf,
					  left < sizeof buf ? (size_t)left : sizeof buf);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return TS_ERR_SIZE; /* the body ended before body_len */
		for (long off = 0; off < got;) {
			int w = esp_http_client_write(h, buf + off, (int)(got - off));
			if (w <= 0)
				return fail(why, why_len, TS_ERR_IO,
					    "the connection dropped while sending", ESP_FAIL);
			off += w;
		}
		sent += (uint64_t)got;
	}
	return TS_OK;
}

static int receive(esp_http_client_handle_t h, struct call *k, bool head, char *why,
		   size_t why_len)
{
	int64_t len = esp_http_client_fetch_headers(h);
	if (k->cb_err)
		return k->cb_err;
	if (len < 0)
		return len == -ESP_ERR_HTTP_EAGAIN
			       ? fail(why, why_len, TS_ERR_TIMEOUT, "timed out waiting for the response",
				      ESP_ERR_HTTP_EAGAIN)
			       : fail(why, why_len, TS_ERR_IO, "no response (connection dropped)",
				      ESP_ERR_HTTP_FETCH_HEADER);
	int status = esp_http_client_get_status_code(h);
	if (k->resp->on_status && (k->cb_err = k->resp->on_status(k->resp->arg, status)) < 0)
		return k->cb_err;
	if (head || status == 304 || status == 204)
		return TS_OK;
	char buf[CHUNK];
	for (;;) {
		int n = esp_http_client_read(h, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0)
			return n == -ESP_ERR_HTTP_EAGAIN
				       ? fail(why, why_len, TS_ERR_TIMEOUT, "timed out reading the body",
					      ESP_ERR_HTTP_EAGAIN)
				       : fail(why, why_len, TS_ERR_IO, "the connection dropped", ESP_FAIL);
		if (k->resp->on_body &&
		    (k->cb_err = k->resp->on_body(k->resp->arg, (const uint8_t *)buf, (size_t)n)) < 0)
			return k->cb_err;
	}
	/* With a Content-Length (len > 0) the client counts the bytes: fewer
	 * means the peer closed early. Without one, the read's 0 is the end. */
	if (len > 0 && !esp_http_client_is_complete_data_received(h))
		return fail(why, why_len, TS_ERR_IO, "the connection dropped mid-body",
			    ESP_ERR_HTTP_CONNECTION_CLOSED);
	return TS_OK;
}

static int request(void *ctx, const struct ts_http_request *req,
		   const struct ts_http_response *resp, char *why, size_t why_len)
{
	(void)ctx;
	esp_http_client_method_t method;
	if (!req || !req->url || !req->method || !resp)
		return TS_ERR_INVAL;
	if ((req->body_len && !req->read_body) || req->body_len > INT_MAX)
		return TS_ERR_INVAL;
	if (!method_of(req->method, &method))
		return TS_ERR_UNSUPPORTED;
	struct call k = { resp, 0 };
	esp_http_client_config_t c = {
		.url = req->url,
		.method = method,
		.timeout_ms = (int)(req->timeout_ms ? req->timeout_ms : 15000),
		.event_handler = on_event,
		.user_data = &k,
		.disable_auto_redirect = true,
		.buffer_size = 2048,
		.buffer_size_tx = 2048, /* a SigV4 Authorization line is ~250 bytes */
	};
	if (strncmp(req->url, "https://", 8) == 0)
		c.crt_bundle_attach = esp_crt_bundle_attach;
	esp_http_client_handle_t h = esp_http_client_init(&c);
	if (!h)
		return fail(why, why_len, TS_ERR_IO, "cannot start the HTTP client (URL?)",
			    ESP_ERR_INVALID_ARG);
	esp_err_t err = esp_http_client_set_method(h, method);
	for (size_t i = 0; i < req->nheaders && err == ESP_OK; i++)
		err = esp_http_client_set_header(h, req->headers[i].name, req->headers[i].value);
	int rc;
	if (err != ESP_OK) {
		rc = fail(why, why_len, TS_ERR_IO, "cannot set the request up", err);
	} else if ((err = esp_http_client_open(h, (int)req->body_len)) != ESP_OK) {
		rc = fail(why, why_len, TS_ERR_IO, "cannot connect (refused, DNS, TLS or no route)",
			  err);
	} else {
		rc = req->body_len ? send_body(h, req, why, why_len) : TS_OK;
		if (rc == TS_OK)
			rc = receive(h, &k, method == HTTP_METHOD_HEAD, why, why_len);
	}
	esp_http_client_close(h);
	esp_http_client_cleanup(h);
	return rc;
}

const struct ts_http_ops ts_esp32_http_ops = { request };
