/* Stand-in for ESP-IDF's esp_crt_bundle.h (NOT ESP-IDF). TLS is not
 * modelled: the stand-in's HTTP client refuses https:// URLs. */
#ifndef STANDIN_ESP_CRT_BUNDLE_H
#define STANDIN_ESP_CRT_BUNDLE_H
#include "esp_err.h"
esp_err_t esp_crt_bundle_attach(void *conf);
#endif
