/* Stand-in for FreeRTOS's task.h (NOT FreeRTOS): vTaskDelay sleeps whole
 * ticks (0 ticks: yields, returns at once). */
#ifndef STANDIN_FREERTOS_TASK_H
#define STANDIN_FREERTOS_TASK_H
#include "freertos/FreeRTOS.h"
void vTaskDelay(const TickType_t xTicksToDelay);
TickType_t xTaskGetTickCount(void);
#endif
