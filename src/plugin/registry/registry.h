#ifndef CS_PLUGIN_REGISTRY_H
#define CS_PLUGIN_REGISTRY_H
/* The push plugins built into this binary. The registry sits above the
 * plugins it lists (it names their descriptors), which sit above the plugin
 * host (plugin.h, host.c, driver.c): so it is its own module, and the host
 * never sees it. Commands and the daemon read it; plugins never do. */
#include "plugin/plugin.h"

/* NULL-terminated, in display order. */
extern const cs_plugin *const cs_plugin_registry[];

/* The plugin registered under name, or NULL. */
const cs_plugin *cs_plugin_registry_find(const char *name);

#endif
