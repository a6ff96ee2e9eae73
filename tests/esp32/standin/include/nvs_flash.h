/* Stand-in for ESP-IDF's nvs_flash.h (NOT ESP-IDF). */
#ifndef STANDIN_NVS_FLASH_H
#define STANDIN_NVS_FLASH_H
#include "esp_err.h"
esp_err_t nvs_flash_init(void);
esp_err_t nvs_flash_erase(void);
#endif
