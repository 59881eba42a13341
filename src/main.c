/* The classy-sync binary's entry point. Everything lives in the command
 * layer (cmd/top.c): this file must never grow logic of its own. */
#include "cmd/cmd.h"

int main(int argc, char **argv)
{
	return cs_cmd_main(argc, argv);
}
