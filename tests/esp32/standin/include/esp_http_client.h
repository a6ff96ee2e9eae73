/* Stand-in for ESP-IDF 5.x's esp_http_client.h (NOT ESP-IDF): plain HTTP
 * over POSIX sockets; https:// is refused (TLS is not modelled). As in
 * ESP-IDF, response headers reach the program only as HTTP_EVENT_ON_HEADER
 * events (there is no getter for them; esp_http_client_get_header reads
 * the request's headers), and the status code is known only once all the
 * headers have been parsed. */
#ifndef STANDIN_ESP_HTTP_CLIENT_H
#define STANDIN_ESP_HTTP_CLIENT_H
#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

typedef struct esp_http_client *esp_http_client_handle_t;

typedef enum {
	HTTP_EVENT_ERROR = 0,
	HTTP_EVENT_ON_CONNECTED,
	HTTP_EVENT_HEADERS_SENT,
	HTTP_EVENT_HEADER_SENT = HTTP_EVENT_HEADERS_SENT,
	HTTP_EVENT_ON_HEADER,
	HTTP_EVENT_ON_DATA,
	HTTP_EVENT_ON_FINISH,
	HTTP_EVENT_DISCONNECTED,
	HTTP_EVENT_REDIRECT,
} esp_http_client_event_id_t;

typedef struct esp_http_client_event {
	esp_http_client_event_id_t event_id;
	esp_http_client_handle_t client;
	void *data;
	int data_len;
	void *user_data;
	char *header_key;
	char *header_value;
} esp_http_client_event_t;

typedef esp_err_t (*http_event_handle_cb)(esp_http_client_event_t *evt);

typedef enum {
	HTTP_METHOD_GET = 0, HTTP_METHOD_POST, HTTP_METHOD_PUT, HTTP_METHOD_PATCH,
	HTTP_METHOD_DELETE, HTTP_METHOD_HEAD, HTTP_METHOD_MAX,
} esp_http_client_method_t;

typedef enum { HTTP_TRANSPORT_UNKNOWN = 0, HTTP_TRANSPORT_OVER_TCP, HTTP_TRANSPORT_OVER_SSL } esp_http_client_transport_t;

typedef struct {
	const char *url;
	const char *host;
	int port;
	const char *username;
	const char *password;
	const char *path;
	const char *query;
	const char *cert_pem;
	esp_http_client_method_t method;
	int timeout_ms;
	bool disable_auto_redirect;
	int max_redirection_count;
	http_event_handle_cb event_handler;
	esp_http_client_transport_t transport_type;
	int buffer_size;
	int buffer_size_tx;
	void *user_data;
	bool is_async;
	bool skip_cert_common_name_check;
	esp_err_t (*crt_bundle_attach)(void *conf);
	bool keep_alive_enable;
} esp_http_client_config_t;

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config);
esp_err_t esp_http_client_set_method(esp_http_client_handle_t client, esp_http_client_method_t method);
esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char *key, const char *value);
esp_err_t esp_http_client_get_header(esp_http_client_handle_t client, const char *key, char **value);
esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len);
int esp_http_client_write(esp_http_client_handle_t client, const char *buffer, int len);
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client);
int esp_http_client_get_status_code(esp_http_client_handle_t client);
int64_t esp_http_client_get_content_length(esp_http_client_handle_t client);
int esp_http_client_read(esp_http_client_handle_t client, char *buffer, int len);
bool esp_http_client_is_complete_data_received(esp_http_client_handle_t client);
esp_err_t esp_http_client_close(esp_http_client_handle_t client);
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client);

#endif
