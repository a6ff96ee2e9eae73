/*
 * The four user LEDs of the STM32F4-Discovery board on PD12..PD15
 * (green, orange, red, blue). Bit 0 of a mask is PD12, bit 3 is PD15.
 */
#ifndef TWINSLOT_FW_LEDS_H
#define TWINSLOT_FW_LEDS_H

#include <stdint.h>

#define TS_LED_GREEN  (1u << 0) /* PD12 */
#define TS_LED_ORANGE (1u << 1) /* PD13 */
#define TS_LED_RED    (1u << 2) /* PD14 */
#define TS_LED_BLUE   (1u << 3) /* PD15 */

void ts_leds_init(void);
void ts_leds_set(uint32_t mask); /* exactly these LEDs on, the others off */
void ts_leds_deinit(void);       /* GPIOD reset and clock gated again */

#endif
