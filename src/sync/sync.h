#ifndef CS_SYNC_H
#define CS_SYNC_H
/* placeholder, written by the engine step */
#endif
