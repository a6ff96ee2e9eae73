/* Stand-in for ESP-IDF's esp_timer.h (NOT ESP-IDF): CLOCK_MONOTONIC. */
#ifndef STANDIN_ESP_TIMER_H
#define STANDIN_ESP_TIMER_H
#include <stdint.h>
int64_t esp_timer_get_time(void); /* microseconds since start */
#endif
