/* config_values: parsers for the values of config directives: sizes, durations, counts,
 * listen addresses and CIDR networks. Pure: strings in, values out, no I/O.
 * Each parser returns NULL on success or a fixed text saying what is wrong (for the caller
 * to put after "FILE:LINE: "). */
#ifndef TERN_CONFIG_VALUES_H
#define TERN_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conf/config.h"

/* Room for any network formatted by config_values_format_network. */
#define CONFIG_VALUES_NETWORK_TEXT_SIZE 64

/* "N", "NK", "NM" or "NG" (1024-based, suffix case-insensitive); at least 1 byte. */
const char *config_values_parse_size(const char *text, size_t *size);
/* "N" (seconds), "Ns", "Nm" or "Nh"; at least 1 second. */
const char *config_values_parse_duration(const char *text, unsigned *seconds);
/* Like a duration, but may be zero and take a d (day) suffix, up to 365d: for delays, retry
 * intervals and queue lifetimes. */
const char *config_values_parse_period(const char *text, unsigned *seconds);
/* A decimal count from 1 to 1000000000. */
const char *config_values_parse_count(const char *text, unsigned *count);
/* "a.b.c.d:PORT" or "[IPv6]:PORT", port 1-65535; fills the socket address and its length. */
const char *config_values_parse_listen(const char *text, struct sockaddr_storage *address, socklen_t *length);
/* "ADDRESS/PREFIX" or a bare ADDRESS (a single host), IPv4 or IPv6 (no brackets).
 * Sets *host_bits_set if bits beyond the prefix are set; *network then holds the address
 * with them cleared (so the caller can suggest it). A prefix of 0 is refused: trusting
 * every address would make an open relay. */
const char *config_values_parse_network(const char *text, struct config_network *network, bool *host_bits_set);
/* Writes "ADDRESS/PREFIX" into out. */
void config_values_format_network(const struct config_network *network, char out[CONFIG_VALUES_NETWORK_TEXT_SIZE]);
/* Whether address (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as IPv4) lies
 * in network. */
bool config_values_network_contains(const struct config_network *network, const struct sockaddr *address);

#endif
