/* Stand-in for ESP-IDF's esp_random.h (NOT ESP-IDF): /dev/urandom. */
#ifndef STANDIN_ESP_RANDOM_H
#define STANDIN_ESP_RANDOM_H
#include <stdint.h>
uint32_t esp_random(void);
#endif
