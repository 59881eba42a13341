/* What the command layer may write to a terminal: escape sequences only on
 * a terminal and never when NO_COLOR is set (https://no-color.org), and a
 * line erased either way (an escape, or spaces over a carriage return).
 * Every escape the CLI writes goes through a check made here. */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cs_cmd_ansi(int fd)
{
	const char *no = getenv("NO_COLOR");
	return isatty(fd) && !(no && no[0]);
}

void cs_cmd_erase_line(FILE *f, int ansi, int width)
{
	if (ansi)
		fputs("\r\033[K", f);
	else
		fprintf(f, "\r%*s\r", width, "");
}
