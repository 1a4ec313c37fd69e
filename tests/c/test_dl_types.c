/* Compile-only check of bindings/c/binance_algo_dl.h: every real function of
 * binance_algo.h is assigned to its member of the loader's table. Under
 * -Werror a signature that changed in the header, or a wrong entry in
 * BINANCE_API_FUNCTIONS, breaks the build (built as C, and as C++, which admits
 * no conversion at all between function pointer types). */
#include "binance_algo_dl.h"

void binance_api_check_types(binance_api *api);

void binance_api_check_types(binance_api *api) {
#define CHECK_MEMBER_(name, ret, params) api->name = binance_##name;
    BINANCE_API_FUNCTIONS(CHECK_MEMBER_)
#undef CHECK_MEMBER_
}
