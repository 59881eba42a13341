#ifndef CS_CMD_H
#define CS_CMD_H
int cs_main(int argc, char **argv);
#endif
