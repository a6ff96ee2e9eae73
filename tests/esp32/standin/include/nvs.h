/* Stand-in for ESP-IDF's nvs.h (NOT ESP-IDF): blobs in a file. */
#ifndef STANDIN_NVS_H
#define STANDIN_NVS_H
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#define NVS_KEY_NAME_MAX_SIZE 16 /* 15 characters and the NUL */
typedef uint32_t nvs_handle_t;
typedef enum { NVS_READONLY, NVS_READWRITE } nvs_open_mode_t;

esp_err_t nvs_open(const char *namespace_name, nvs_open_mode_t open_mode, nvs_handle_t *out_handle);
void nvs_close(nvs_handle_t handle);
/* out_value NULL: *length gets the size. *length too small:
 * ESP_ERR_NVS_INVALID_LENGTH. */
esp_err_t nvs_get_blob(nvs_handle_t handle, const char *key, void *out_value, size_t *length);
esp_err_t nvs_set_blob(nvs_handle_t handle, const char *key, const void *value, size_t length);
esp_err_t nvs_erase_key(nvs_handle_t handle, const char *key);
esp_err_t nvs_commit(nvs_handle_t handle);

#endif
