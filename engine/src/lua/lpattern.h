/* string.find, string.match, string.gmatch and string.gsub for the sandbox.
 *
 * Same Lua 5.4 pattern language and results as the standard library, but
 * the matcher charges its steps to the running call's budget and checks its
 * wall-clock deadline (impex_lua_charge), so a backtracking pattern such as
 * the trim idiom "^%s*(.-)%s*$" on a long run of spaces stops with
 * "script:line: instruction budget ... exceeded" or "... time limit ..."
 * instead of running for minutes inside one C call. */
#ifndef IMPEX_LUA_LPATTERN_H
#define IMPEX_LUA_LPATTERN_H

#include <lua.h>
#include <stdint.h>

/* Sets find, match, gmatch and gsub in the table at idx. */
void impex_lua_set_patterns(lua_State *L, int idx);

/* Charges steps to the running call; raises the limit error ("script:line:
 * instruction budget of N exceeded" / "time limit of N ms exceeded") once
 * the budget or the deadline is past. Defined in sandbox.c. */
void impex_lua_charge(lua_State *L, uint64_t steps);

#endif
