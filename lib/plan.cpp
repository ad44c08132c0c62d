// lib/plan.cpp: Plan<T>: validates a request once, picks the method, copies the
// kernel into correlation order and owns the engine; execute() validates the
// views (before writing anything) and runs the engine.
#include <algorithm>
#include <cstdint>

#include <autoconv/plan.hpp>

#include "core/problem.hpp"
#include "core/views.hpp"
#include "cost/model.hpp"
#include "direct/direct.hpp"
#include "fft/engine.hpp"
#include "parallel/slices.hpp"
#include "separable/engine.hpp"

namespace autoconv {

namespace detail {

template <class T>
struct PlanImpl {
  Problem pb;
  Method method = Method::Direct;
  int threads = 0;
  std::shared_ptr<const DirectEngine<T>> direct;  // Direct, and the FFT engines' fallback
  std::unique_ptr<const FftEngine<T>> fft;        // FFT or OverlapAdd
  Decision decision;                              // Method::Auto's (empty when forced)
  std::unique_ptr<const SeparableEngine<T>> separable;  // Separable
};

namespace {

template <class T>
std::shared_ptr<const PlanImpl<T>> build(Problem pb, const View<const T>& kernel, const Options& opt) {
  const char* api = pb.api_name();
  check_view(kernel, pb.kernel, api, "kernel", "the kernel shape given is");
  if (opt.threads < 0)
    throw error(std::string(api) + ": Options::threads = " + std::to_string(opt.threads) +
                " is negative; use 0 for OpenMP's default or a positive count");
  const fft::Effort effort = effort_of(opt.planning, api);
  auto impl = std::make_shared<PlanImpl<T>>();
  cost::Request request = cost::make_request<T>(pb, opt);
  switch (opt.method) {
    case Method::Auto: {
      request.separable_terms = cost::kernel_terms(pb, kernel);
      request.words = false;
      impl->decision = cost::decide(request, cost::machine_profile());
      impl->method = impl->decision.method;
      break;
    }
    case Method::Direct:
    case Method::FFT:
    case Method::OverlapAdd:
      impl->method = opt.method;
      break;
    case Method::Separable:
      impl->method = Method::Separable;
      break;
    default:
      throw error(std::string(api) + ": unknown Method value " + std::to_string(static_cast<int>(opt.method)));
  }
  impl->threads = opt.threads;
  impl->pb = pb;
  std::vector<T> kc = kernel_in_correlation_order(pb, kernel);
  if (impl->method == Method::Separable) {
    impl->separable = make_separable_engine(
        pb, kc, SeparableOptions{Method::Auto, effort, request.memory_limit, request.workers});
  } else if (impl->method == Method::FFT || impl->method == Method::OverlapAdd) {
    // The geometry (and the budget check) comes before any allocation.
    FftLayout layout =
        fft_layout(pb, impl->method, sizeof(real_t<T>), is_complex_v<T>, request.memory_limit, request.workers);
    impl->direct = std::make_shared<DirectEngine<T>>(pb, kc);
    auto engine = std::make_unique<FftEngine<T>>(pb, kc, std::move(layout), effort, request.workers, impl->direct);
    if (opt.method == Method::Auto)  // the model chose FFT for finite input; non-finite input may change that
      engine->set_nonfinite_policy([request, m = impl->method](double nonfinite) {
        cost::Request r = request;
        r.nonfinite = nonfinite;
        const auto& p = cost::machine_profile();
        return cost::predict(r, Method::Direct, p).seconds < cost::predict(r, m, p).seconds;
      });
    impl->fft = std::move(engine);
  } else {
    impl->direct = std::make_shared<DirectEngine<T>>(pb, std::move(kc));
  }
  return impl;
}

}  // namespace
}  // namespace detail

template <class T>
Plan<T>::Plan(Operation op, const Shape& input_shape, View<const T> kernel, Mode mode, const Options& options)
    : impl_(detail::build(detail::make_problem(op, input_shape, kernel.shape(), mode, options.axes), kernel, options)) {}

template <class T>
Plan<T>::Plan(Operation op, const Shape& input_shape, View<const T> kernel, Mode mode, const Border& border,
              const Options& options)
    : impl_(detail::build(detail::make_problem(op, input_shape, kernel.shape(), mode, border, options.axes), kernel,
                          options)) {}

template <class T>
Plan<T>::Plan(Operation op, const Shape& input_shape, View<const T> kernel, const Border& border, const Options& options)
    : impl_(detail::build(detail::make_problem(op, input_shape, kernel.shape(), border, options.axes), kernel,
                          options)) {}

template <class T>
const Shape& Plan<T>::input_shape() const {
  return impl_->pb.input;
}

template <class T>
const Shape& Plan<T>::output_shape() const {
  return impl_->pb.output;
}

template <class T>
Method Plan<T>::method() const {
  return impl_->method;
}

template <class T>
void Plan<T>::execute(View<const T> input, View<T> output) const {
  detail::check_call(impl_->pb, input, output);
  if (impl_->separable)
    impl_->separable->run(input, output, impl_->threads);
  else if (impl_->fft)
    impl_->fft->run(input, output, impl_->threads);
  else
    impl_->direct->run(input, output, impl_->threads);
}

template class Plan<float>;
template class Plan<double>;
template class Plan<std::complex<float>>;
template class Plan<std::complex<double>>;

const char* version() { return AUTOCONV_VERSION; }

}  // namespace autoconv
