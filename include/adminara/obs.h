// AdminAra Observability: the umbrella header. Include this, or only the headers you need.
#pragma once

#include "adminara/obs/adminara_metrics.h"  // IWYU pragma: export
#include "adminara/obs/attributes.h"        // IWYU pragma: export
#include "adminara/obs/context.h"           // IWYU pragma: export
#include "adminara/obs/exporter.h"          // IWYU pragma: export
#include "adminara/obs/jobs.h"              // IWYU pragma: export
#include "adminara/obs/jobs_backend.h"      // IWYU pragma: export
#include "adminara/obs/metric_data.h"       // IWYU pragma: export
#include "adminara/obs/metrics.h"           // IWYU pragma: export
#include "adminara/obs/observability.h"     // IWYU pragma: export
#include "adminara/obs/options.h"           // IWYU pragma: export
#include "adminara/obs/profiler.h"          // IWYU pragma: export
#include "adminara/obs/propagation.h"       // IWYU pragma: export
#include "adminara/obs/resource.h"          // IWYU pragma: export
#include "adminara/obs/sampler.h"           // IWYU pragma: export
#include "adminara/obs/span.h"              // IWYU pragma: export
#include "adminara/obs/span_context.h"      // IWYU pragma: export
#include "adminara/obs/span_data.h"         // IWYU pragma: export
#include "adminara/obs/tracer.h"            // IWYU pragma: export
#include "adminara/obs/version.h"           // IWYU pragma: export
