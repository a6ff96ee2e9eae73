/*
 * twinslot for Arduino-ESP32: the one header a sketch includes.
 *
 * The library is the project's portable C core (lib/ and host/core/, C11)
 * and its ESP-IDF port (host/ports/esp-idf/), assembled by
 * tools/arduino/make-library.sh; this header makes them usable from C++
 * (the core's headers are C and carry no extern "C" of their own).
 *
 * What a sketch uses (see examples/Agent and docs/arduino.md):
 *   ts_esp32_default_cfg, ts_esp32_port_open     the port: UART, BOOT0, NRST,
 *                                                 clock, NVS store, HTTP
 *   ts_esp32_time_is_set                          SNTP has set the clock (S3
 *                                                 signatures need it)
 *   ts_s3_init                                    the S3 client (twinslot/s3.h)
 *   ts_update_default_cfg, ts_update_init         the update engine (twinslot/update.h)
 *   ts_agent_default_cfg, ts_agent_init,          the polling agent (twinslot/agent.h)
 *   ts_agent_poll, ts_agent_next_delay_ms
 *   ts_strerror                                   an error code's text (twinslot/err.h)
 *
 * TWINSLOT_CORE_ONLY leaves the ESP32 port's header out; it exists only for
 * the host-side syntax check of a library assembled without the port
 * (make-library.sh --core-only --check).
 */
#ifndef TWINSLOT_ARDUINO_H
#define TWINSLOT_ARDUINO_H

#ifdef __cplusplus
extern "C" {
#endif

#include "twinslot/err.h"
#include "twinslot/version.h"
#include "twinslot/port.h"
#include "twinslot/s3.h"
#include "twinslot/update.h"
#include "twinslot/agent.h"
#include "twinslot/text.h"
#ifndef TWINSLOT_CORE_ONLY
#include "twinslot_esp32.h"
#endif

#ifdef __cplusplus
}
#endif

#define TWINSLOT_ARDUINO_VERSION "0.1.0"

#endif
