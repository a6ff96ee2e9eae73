/*
 * Stand-in (NOT ESP-IDF) for esp_http_client's streaming API, plain HTTP/1.1
 * over a POSIX socket, one request per connection. TLS is not modelled:
 * https:// fails at open with ESP_ERR_HTTP_INVALID_TRANSPORT. As ESP-IDF:
 *   - response headers exist only as HTTP_EVENT_ON_HEADER events
 *     (header_key/header_value, freed after the handler returns); there is
 *     no getter (esp_http_client_get_header reads the request's headers);
 *   - the status code is -1 while the headers are being fetched and known
 *     after esp_http_client_fetch_headers (so after the header events);
 *   - fetch_headers returns the Content-Length, 0 when there is none, -1
 *     (ESP_FAIL) when the connection failed, -ESP_ERR_HTTP_EAGAIN on time-out;
 *   - read returns bytes, 0 at the end (or when the peer closed early:
 *     esp_http_client_is_complete_data_received then says false).
 * Chunked responses are not modelled (refused with a log line).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_http_client.h"
#include "esp_log.h"

#define MAXH 32
#define TAG "standin-http"

struct esp_http_client {
	esp_http_client_config_t cfg;
	bool https;
	char host[256], port[8], path[4096];
	esp_http_client_method_t method;
	char *hk[MAXH], *hv[MAXH];
	int nh;
	int fd;
	int status;
	int64_t length;       /* -1: until the connection closes */
	int64_t got;
	bool complete;
	char buf[4096];
	size_t bn, bp;
};

static const char *const METHOD[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };

static void dispatch(esp_http_client_handle_t c, esp_http_client_event_id_t id, void *data,
		     int len, char *k, char *v)
{
	if (!c->cfg.event_handler)
		return;
	esp_http_client_event_t ev = { id, c, data, len, c->cfg.user_data, k, v };
	c->cfg.event_handler(&ev);
}

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config)
{
	if (!config || !config->url)
		return NULL;
	struct esp_http_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cfg = *config;
	c->fd = -1;
	c->method = config->method;
	const char *u = config->url, *p;
	if (strncmp(u, "http://", 7) == 0) {
		p = u + 7;
		snprintf(c->port, sizeof c->port, "80");
	} else if (strncmp(u, "https://", 8) == 0) {
		p = u + 8;
		c->https = true;
		snprintf(c->port, sizeof c->port, "443");
	} else {
		free(c);
		return NULL;
	}
	size_t hl = strcspn(p, ":/?");
	if (!hl || hl >= sizeof c->host) {
		free(c);
		return NULL;
	}
	memcpy(c->host, p, hl);
	p += hl;
	if (*p == ':') {
		size_t pl = strcspn(p + 1, "/?");
		if (!pl || pl >= sizeof c->port) {
			free(c);
			return NULL;
		}
		memcpy(c->port, p + 1, pl);
		c->port[pl] = '\0';
		p += 1 + pl;
	}
	snprintf(c->path, sizeof c->path, "%s%s", *p == '/' ? "" : "/", p);
	return c;
}

esp_err_t esp_http_client_set_method(esp_http_client_handle_t c, esp_http_client_method_t m)
{
	if (!c || m >= HTTP_METHOD_MAX)
		return ESP_ERR_INVALID_ARG;
	c->method = m;
	return ESP_OK;
}

esp_err_t esp_http_client_set_header(esp_http_client_handle_t c, const char *key, const char *value)
{
	if (!c || !key || !value)
		return ESP_ERR_INVALID_ARG;
	for (int i = 0; i < c->nh; i++)
		if (strcasecmp(c->hk[i], key) == 0) {
			free(c->hv[i]);
			c->hv[i] = strdup(value);
			return c->hv[i] ? ESP_OK : ESP_ERR_NO_MEM;
		}
	if (c->nh == MAXH)
		return ESP_ERR_NO_MEM;
	c->hk[c->nh] = strdup(key);
	c->hv[c->nh] = strdup(value);
	c->nh++;
	return ESP_OK;
}

esp_err_t esp_http_client_get_header(esp_http_client_handle_t c, const char *key, char **value)
{
	*value = NULL;
	for (int i = 0; c && i < c->nh; i++)
		if (strcasecmp(c->hk[i], key) == 0)
			*value = c->hv[i];
	return ESP_OK;
}

static int timeout_ms(const struct esp_http_client *c)
{
	return c->cfg.timeout_ms > 0 ? c->cfg.timeout_ms : 5000;
}

static int send_all(struct esp_http_client *c, const char *b, size_t n)
{
	size_t done = 0;
	while (done < n) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		if (poll(&p, 1, timeout_ms(c)) <= 0)
			return -1;
		ssize_t w = send(c->fd, b + done, n - done, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (w > 0)
			done += (size_t)w;
	}
	return (int)n;
}

esp_err_t esp_http_client_open(esp_http_client_handle_t c, int write_len)
{
	if (!c)
		return ESP_ERR_INVALID_ARG;
	if (c->https) {
		ESP_LOGE(TAG, "https:// is not modelled by the stand-in (no TLS)");
		return ESP_ERR_HTTP_INVALID_TRANSPORT;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(c->host, c->port, &hints, &ai) != 0) {
		ESP_LOGE(TAG, "DNS: cannot resolve %s", c->host);
		return ESP_ERR_HTTP_CONNECT;
	}
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof err;
		if (poll(&p, 1, timeout_ms(c)) == 1 &&
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			rc = 0;
	}
	if (rc != 0) {
		ESP_LOGE(TAG, "cannot connect to %s:%s", c->host, c->port);
		return ESP_ERR_HTTP_CONNECT;
	}
	dispatch(c, HTTP_EVENT_ON_CONNECTED, NULL, 0, NULL, NULL);
	char *req = NULL;
	size_t rl = 0;
	FILE *f = open_memstream(&req, &rl);
	if (!f)
		return ESP_ERR_NO_MEM;
	fprintf(f, "%s %s HTTP/1.1\r\nHost: %s", METHOD[c->method], c->path, c->host);
	if (strcmp(c->port, "80") != 0)
		fprintf(f, ":%s", c->port);
	fprintf(f, "\r\nUser-Agent: ESP32 HTTP Client/1.0\r\n");
	for (int i = 0; i < c->nh; i++)
		fprintf(f, "%s: %s\r\n", c->hk[i], c->hv[i]);
	if (write_len > 0)
		fprintf(f, "Content-Length: %d\r\n", write_len);
	fprintf(f, "\r\n");
	fclose(f);
	int w = send_all(c, req, rl);
	free(req);
	if (w < 0)
		return ESP_ERR_HTTP_WRITE_DATA;
	dispatch(c, HTTP_EVENT_HEADERS_SENT, NULL, 0, NULL, NULL);
	c->status = 0;
	c->bn = c->bp = 0;
	return ESP_OK;
}

int esp_http_client_write(esp_http_client_handle_t c, const char *buffer, int len)
{
	if (!c || c->fd < 0 || len < 0)
		return -1;
	return send_all(c, buffer, (size_t)len);
}

/* One byte from the connection: 1, 0 at its end, -1 error, -2 time-out. */
static int byte(struct esp_http_client *c, char *out)
{
	if (c->bp == c->bn) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, timeout_ms(c));
		if (pr == 0)
			return -2;
		ssize_t r = pr < 0 ? -1 : recv(c->fd, c->buf, sizeof c->buf, 0);
		if (r <= 0)
			return r == 0 ? 0 : -1;
		c->bn = (size_t)r;
		c->bp = 0;
	}
	*out = c->buf[c->bp++];
	return 1;
}

int64_t esp_http_client_fetch_headers(esp_http_client_handle_t c)
{
	if (!c || c->fd < 0)
		return ESP_FAIL;
	c->status = -1;
	c->length = -1;
	c->got = 0;
	c->complete = false;
	int pending = -1;
	bool chunked = false;
	for (int line = 0;; line++) {
		char l[8192];
		size_t n = 0;
		for (;;) {
			char ch;
			int r = byte(c, &ch);
			if (r == -2)
				return -ESP_ERR_HTTP_EAGAIN;
			if (r <= 0)
				return ESP_FAIL;
			if (ch == '\n')
				break;
			if (n + 1 < sizeof l)
				l[n++] = ch;
		}
		if (n && l[n - 1] == '\r')
			n--;
		l[n] = '\0';
		if (line == 0) {
			if (strncmp(l, "HTTP/1.", 7) != 0 || strlen(l) < 12)
				return ESP_FAIL;
			pending = atoi(l + 9);
			continue;
		}
		if (!n)
			break;
		char *colon = strchr(l, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(l, "Content-Length") == 0)
			c->length = atoll(v);
		if (strcasecmp(l, "Transfer-Encoding") == 0 && strcasecmp(v, "chunked") == 0)
			chunked = true;
		char *k = strdup(l), *val = strdup(v);
		dispatch(c, HTTP_EVENT_ON_HEADER, NULL, 0, k, val);
		free(k);
		free(val);
	}
	c->status = pending;
	if (chunked) {
		ESP_LOGE(TAG, "chunked response: not modelled by the stand-in");
		return ESP_FAIL;
	}
	if (c->method == HTTP_METHOD_HEAD || pending == 204 || pending == 304 ||
	    (pending >= 100 && pending < 200))
		c->length = 0;
	if (c->length == 0)
		c->complete = true;
	return c->length > 0 ? c->length : 0;
}

int esp_http_client_get_status_code(esp_http_client_handle_t c)
{
	return c ? c->status : -1;
}

int64_t esp_http_client_get_content_length(esp_http_client_handle_t c)
{
	return c ? c->length : -1;
}

int esp_http_client_read(esp_http_client_handle_t c, char *buffer, int len)
{
	if (!c || c->fd < 0 || c->status <= 0)
		return -1;
	int n = 0;
	while (n < len && !c->complete) {
		if (c->length >= 0 && c->got >= c->length) {
			c->complete = true;
			break;
		}
		char ch;
		int r = byte(c, &ch);
		if (r == -2) {
			if (n)
				break;
			return -ESP_ERR_HTTP_EAGAIN;
		}
		if (r < 0)
			return n ? n : -1;
		if (r == 0) {
			if (c->length < 0)
				c->complete = true;
			break;
		}
		buffer[n++] = ch;
		c->got++;
		if (c->bp == c->bn && n)
			break; /* what arrived so far */
	}
	if (c->length >= 0 && c->got >= c->length)
		c->complete = true;
	if (n)
		dispatch(c, HTTP_EVENT_ON_DATA, buffer, n, NULL, NULL);
	else if (c->complete)
		dispatch(c, HTTP_EVENT_ON_FINISH, NULL, 0, NULL, NULL);
	return n;
}

bool esp_http_client_is_complete_data_received(esp_http_client_handle_t c)
{
	return c && c->complete;
}

esp_err_t esp_http_client_close(esp_http_client_handle_t c)
{
	if (!c)
		return ESP_ERR_INVALID_ARG;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		dispatch(c, HTTP_EVENT_DISCONNECTED, NULL, 0, NULL, NULL);
	}
	return ESP_OK;
}

esp_err_t esp_http_client_cleanup(esp_http_client_handle_t c)
{
	if (!c)
		return ESP_ERR_INVALID_ARG;
	esp_http_client_close(c);
	for (int i = 0; i < c->nh; i++) {
		free(c->hk[i]);
		free(c->hv[i]);
	}
	free(c);
	return ESP_OK;
}
