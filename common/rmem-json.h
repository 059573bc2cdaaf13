/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem's one JSON string writer, shared by rmemctl and rmemd (and the
 * terminal-safe printer beside it): any bytes in, valid output out.
 */
#ifndef RMEM_JSON_H
#define RMEM_JSON_H

#include <stdbool.h>
#include <stdio.h>

void rmem_json_string(FILE *f, const char *s);
void rmem_text_string(FILE *f, const char *s);
bool rmem_json_is_number(const char *s);

#endif /* RMEM_JSON_H */
