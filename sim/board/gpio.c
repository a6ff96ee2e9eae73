/*
 * GPIO ports A-E (RM0090 chapter 8): MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR,
 * BSRR, LCKR (stored, not enforced), AFR. The Discovery board's LEDs are
 * PD12 (green), PD13 (orange), PD14 (red), PD15 (blue): an LED is lit when
 * its pin is a general-purpose output driving high; each change is logged as
 * event led {pin, on}. The user button on PA0 is active high (pressed = 1).
 * Input pins read the external level: PA0's button, else the pull-up (1) or
 * 0. Needs the port's clock enabled in RCC_AHB1ENR.
 */
#include "board.h"

#include <string.h>

static const uint32_t moder_reset[5] = { 0xA8000000u, 0x00000280u, 0, 0, 0 };
static const uint32_t pupdr_reset[5] = { 0x64000000u, 0x00000100u, 0, 0, 0 };
static const uint32_t ospeedr_reset[5] = { 0, 0x000000C0u, 0, 0, 0 };

static void update_leds(struct board *b)
{
	struct gpio_port *d = &b->gpio[3];
	uint8_t leds = 0;
	for (int i = 0; i < 4; i++) {
		int pin = 12 + i;
		bool out = ((d->moder >> (2 * pin)) & 3u) == 1u;
		if (out && (d->odr & (1u << pin)))
			leds |= (uint8_t)(1u << i);
	}
	uint8_t changed = leds ^ b->leds;
	b->leds = leds;
	for (int i = 0; i < 4; i++)
		if (changed & (1u << i))
			sim_eventf(&b->ev, board_now(b), "led", "\"pin\":\"PD%d\",\"on\":%s", 12 + i,
				   (leds & (1u << i)) ? "true" : "false");
}

void bd_gpio_reset_port(struct board *b, int p)
{
	struct gpio_port *g = &b->gpio[p];
	uint32_t in = g->in;
	memset(g, 0, sizeof *g);
	g->moder = moder_reset[p];
	g->pupdr = pupdr_reset[p];
	g->ospeedr = ospeedr_reset[p];
	g->in = in;
	if (p == 3)
		update_leds(b);
}

void bd_gpio_reset(struct board *b)
{
	for (int p = 0; p < 5; p++)
		bd_gpio_reset_port(b, p);
}

void bd_gpio_set_button(struct board *b, bool pressed)
{
	b->button = pressed;
	if (pressed)
		b->gpio[0].in |= 1u;
	else
		b->gpio[0].in &= ~1u;
}

static uint32_t idr(const struct gpio_port *g)
{
	uint32_t v = 0;
	for (int pin = 0; pin < 16; pin++) {
		uint32_t mode = (g->moder >> (2 * pin)) & 3u;
		uint32_t pull = (g->pupdr >> (2 * pin)) & 3u;
		uint32_t bit = 1u << pin;
		bool level;
		if (mode == 1u || mode == 2u)
			level = (g->odr & bit) != 0; /* output, alternate: driven level */
		else if (g->in & bit)
			level = true;
		else
			level = pull == 1u; /* pull-up reads 1, else 0 */
		if (level)
			v |= bit;
	}
	return v;
}

static const char *const names[5] = { "GPIOA", "GPIOB", "GPIOC", "GPIOD", "GPIOE" };

uint32_t bd_gpio_read(struct board *b, int p, uint32_t off)
{
	if (!board_clock_enabled(b, names[p], 0x30, p))
		return 0;
	struct gpio_port *g = &b->gpio[p];
	switch (off) {
	case 0x00: return g->moder;
	case 0x04: return g->otyper;
	case 0x08: return g->ospeedr;
	case 0x0C: return g->pupdr;
	case 0x10: return idr(g);
	case 0x14: return g->odr;
	case 0x1C: return g->lckr;
	case 0x20: return g->afr[0];
	case 0x24: return g->afr[1];
	}
	return 0;
}

void bd_gpio_write(struct board *b, int p, uint32_t off, uint32_t v)
{
	if (!board_clock_enabled(b, names[p], 0x30, p))
		return;
	struct gpio_port *g = &b->gpio[p];
	switch (off) {
	case 0x00: g->moder = v; break;
	case 0x04: g->otyper = v & 0xFFFFu; break;
	case 0x08: g->ospeedr = v; break;
	case 0x0C: g->pupdr = v; break;
	case 0x14: g->odr = v & 0xFFFFu; break;
	case 0x18: /* BSRR: set wins over reset */
		g->odr = (g->odr & ~(v >> 16)) | (v & 0xFFFFu);
		break;
	case 0x1C: g->lckr = v & 0x1FFFFu; break;
	case 0x20: g->afr[0] = v; break;
	case 0x24: g->afr[1] = v; break;
	}
	if (p == 3)
		update_leds(b);
}
