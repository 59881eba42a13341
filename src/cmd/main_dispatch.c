#include "cmd/cmd.h"

int cs_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
