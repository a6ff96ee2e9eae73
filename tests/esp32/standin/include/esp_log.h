/* Stand-in for ESP-IDF's esp_log.h (NOT ESP-IDF): lines on stderr as
 * "E (ms) tag: text". */
#ifndef STANDIN_ESP_LOG_H
#define STANDIN_ESP_LOG_H

void standin_log(char level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ESP_LOGE(tag, ...) standin_log('E', tag, __VA_ARGS__)
#define ESP_LOGW(tag, ...) standin_log('W', tag, __VA_ARGS__)
#define ESP_LOGI(tag, ...) standin_log('I', tag, __VA_ARGS__)
#define ESP_LOGD(tag, ...) standin_log('D', tag, __VA_ARGS__)
#define ESP_LOGV(tag, ...) standin_log('V', tag, __VA_ARGS__)

#endif
