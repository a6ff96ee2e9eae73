/* Stand-in for FreeRTOS.h as ESP-IDF ships it (NOT FreeRTOS). The tick
 * rate is a compile-time setting, as in sdkconfig: 100 Hz by default
 * (CONFIG_FREERTOS_HZ's default), so a wait of a few milliseconds is a
 * whole tick or nothing, and ms->tick rounding shows. */
#ifndef STANDIN_FREERTOS_H
#define STANDIN_FREERTOS_H
#include <stdint.h>

#ifndef configTICK_RATE_HZ
#define configTICK_RATE_HZ 100
#endif
typedef uint32_t TickType_t;
typedef int BaseType_t;
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
/* As FreeRTOS defines it: truncates. */
#define pdMS_TO_TICKS(xTimeInMs) \
	((TickType_t)(((TickType_t)(xTimeInMs) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
#define pdTRUE 1
#define pdFALSE 0
typedef void *QueueHandle_t;
#endif
