#ifndef CS_PLUGIN_MAILCHIMP_H
#define CS_PLUGIN_MAILCHIMP_H
/* The Mailchimp push plugin's one public name: its descriptor, which the
 * registry lists. Everything else of the plugin is internal (mc_int.h). */
#include "plugin/plugin.h"

extern const cs_plugin cs_plugin_mailchimp;

#endif
