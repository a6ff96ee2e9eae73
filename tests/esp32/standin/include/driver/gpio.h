/* Stand-in for ESP-IDF 5.x's driver/gpio.h (NOT ESP-IDF). */
#ifndef STANDIN_DRIVER_GPIO_H
#define STANDIN_DRIVER_GPIO_H
#include <stdint.h>

#include "esp_err.h"

typedef enum { GPIO_NUM_NC = -1, GPIO_NUM_0 = 0, GPIO_NUM_4 = 4, GPIO_NUM_5 = 5,
	       GPIO_NUM_16 = 16, GPIO_NUM_17 = 17, GPIO_NUM_MAX = 40 } gpio_num_t;

#define GPIO_MODE_DEF_DISABLE 0
#define GPIO_MODE_DEF_INPUT (1u << 0)
#define GPIO_MODE_DEF_OUTPUT (1u << 1)
#define GPIO_MODE_DEF_OD (1u << 2)
typedef enum {
	GPIO_MODE_DISABLE = GPIO_MODE_DEF_DISABLE,
	GPIO_MODE_INPUT = GPIO_MODE_DEF_INPUT,
	GPIO_MODE_OUTPUT = GPIO_MODE_DEF_OUTPUT,
	GPIO_MODE_OUTPUT_OD = GPIO_MODE_DEF_OUTPUT | GPIO_MODE_DEF_OD,
	GPIO_MODE_INPUT_OUTPUT_OD = GPIO_MODE_DEF_INPUT | GPIO_MODE_DEF_OUTPUT | GPIO_MODE_DEF_OD,
	GPIO_MODE_INPUT_OUTPUT = GPIO_MODE_DEF_INPUT | GPIO_MODE_DEF_OUTPUT,
} gpio_mode_t;
typedef enum { GPIO_PULLUP_DISABLE = 0, GPIO_PULLUP_ENABLE = 1 } gpio_pullup_t;
typedef enum { GPIO_PULLDOWN_DISABLE = 0, GPIO_PULLDOWN_ENABLE = 1 } gpio_pulldown_t;
typedef enum { GPIO_INTR_DISABLE = 0 } gpio_int_type_t;

typedef struct {
	uint64_t pin_bit_mask;
	gpio_mode_t mode;
	gpio_pullup_t pull_up_en;
	gpio_pulldown_t pull_down_en;
	gpio_int_type_t intr_type;
} gpio_config_t;

esp_err_t gpio_config(const gpio_config_t *pGPIOConfig);
esp_err_t gpio_set_level(gpio_num_t gpio_num, uint32_t level);
esp_err_t gpio_reset_pin(gpio_num_t gpio_num);

#endif
