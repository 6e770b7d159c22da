// cachedata: a read-through cache for slow or rate-limited back ends. Include this header for
// the whole public API.
#pragma once

#include "cachedata/cache.hpp"
#include "cachedata/config.hpp"
#include "cachedata/data_key.hpp"
#include "cachedata/data_source.hpp"
#include "cachedata/headers.hpp"
#include "cachedata/http_fetcher.hpp"
#include "cachedata/profile.hpp"
#include "cachedata/request.hpp"
#include "cachedata/response.hpp"
#include "cachedata/status.hpp"
#include "cachedata/store.hpp"
