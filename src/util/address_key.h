/* address_key: a client's IP address as 16 bytes, IPv4 mapped as ::ffff:a.b.c.d, so tables
 * keyed by client (connection limits, AUTH throttling) treat both families alike. */
#ifndef TERN_ADDRESS_KEY_H
#define TERN_ADDRESS_KEY_H

#include <sys/socket.h>

/* Fills key from an AF_INET or AF_INET6 address; any other family (a local socket) gives
 * all zeros, the key "::". */
void address_key_from(const struct sockaddr *address, unsigned char key[16]);

#endif
