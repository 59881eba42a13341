#include "cmd/cmd.h"

int main(int argc, char **argv)
{
	return cs_cmd_main(argc, argv);
}
