// autoconv._core: the compiled half of the Python module. One class, Plan, wrapping
// autoconv::Plan<T> for the four value types; everything scipy-specific (argument
// names, dtype promotion, scipy's edge rules) lives in the Python half
// (autoconv/__init__.py, autoconv/ndimage.py), which calls this with arrays whose
// dtype already equals the plan's.
//
// Arrays are passed as autoconv::View with their own strides (no copy) when every
// byte stride is a multiple of the item size (either sign); otherwise the input is
// copied to C order.
// The GIL is released while a plan is made (FFTW planning) and while it executes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <autoconv/explain.hpp>
#include <autoconv/plan.hpp>

#include <complex>
#include <initializer_list>
#include <utility>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace py = pybind11;
using namespace autoconv;

namespace {

using AnyPlan = std::variant<Plan<float>, Plan<double>, Plan<std::complex<float>>, Plan<std::complex<double>>>;

[[noreturn]] void value_error(const std::string& what) { throw py::value_error("autoconv: " + what); }

// The enum value named `s` among `names` (the names as autoconv::to_string spells them).
template <class E>
E parse(const char* what, const std::string& s, std::initializer_list<std::pair<const char*, E>> names) {
  std::string known;
  for (const auto& [name, value] : names) {
    if (s == name) return value;
    known += std::string(known.empty() ? "'" : ", '") + name + "'";
  }
  value_error(std::string(what) + " must be one of " + known + ", not '" + s + "'");
}

Mode parse_mode(const std::string& s) {
  return parse<Mode>("mode", s, {{"full", Mode::Full}, {"same", Mode::Same}, {"valid", Mode::Valid}});
}
Boundary parse_boundary(const std::string& s) {
  return parse<Boundary>("boundary", s,
               {{"reflect", Boundary::Reflect}, {"mirror", Boundary::Mirror}, {"nearest", Boundary::Nearest},
                {"wrap", Boundary::Wrap}, {"constant", Boundary::Constant}});
}
Method parse_method(const std::string& s) {
  return parse<Method>("method", s,
               {{"auto", Method::Auto}, {"direct", Method::Direct}, {"fft", Method::FFT},
                {"overlap_add", Method::OverlapAdd}, {"separable", Method::Separable}});
}
Operation parse_op(const std::string& s) {
  return parse<Operation>("op", s, {{"convolve", Operation::Convolve}, {"correlate", Operation::Correlate}});
}
Planning parse_planning(const std::string& s) {
  return parse<Planning>("planning", s,
               {{"auto", Planning::Auto}, {"estimate", Planning::Estimate}, {"measure", Planning::Measure},
                {"patient", Planning::Patient}});
}

// True when every byte stride of `a` is a whole number of items (a View can address it).
bool element_strided(const py::array& a) {
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    if (a.strides(i) % a.itemsize() != 0) return false;
  return true;
}

// True when `a` can be passed to the core as it is: whole-item strides (any sign).
bool passable(const py::array& a) { return element_strided(a); }

template <class T>
View<T> view_of(T* data, const py::array& a) {
  std::vector<index_t> shape(static_cast<std::size_t>(a.ndim())), strides(shape.size());
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    shape[static_cast<std::size_t>(i)] = a.shape(i);
    strides[static_cast<std::size_t>(i)] = a.strides(i) / a.itemsize();
  }
  return View<T>(data, Shape(shape), Shape(strides));
}

// A read-only view of `a`, which must hold T; copied to C order first when its
// strides are not whole items (`keep` then owns the copy).
template <class T>
View<const T> input_view(const py::array& a, py::array& keep, const char* what) {
  if (!py::isinstance<py::array_t<T>>(a))
    throw py::type_error(std::string("autoconv: ") + what + " has dtype " + py::str(a.dtype()).cast<std::string>() +
                         ", the plan's is " + py::str(py::dtype::of<T>()).cast<std::string>());
  keep = passable(a) ? a : py::array(py::array_t<T, py::array::c_style>::ensure(a));
  return view_of<const T>(static_cast<const T*>(keep.data()), keep);
}

py::tuple to_tuple(const Shape& s) {
  py::tuple t(static_cast<std::size_t>(s.rank()));
  for (int i = 0; i < s.rank(); ++i) t[static_cast<std::size_t>(i)] = s[i];
  return t;
}

// Calls f(T{}) for the value type T that `a` holds; TypeError for any other dtype.
template <class F>
decltype(auto) with_value_type(const py::array& a, F&& f) {
  if (py::isinstance<py::array_t<float>>(a)) return f(float{});
  if (py::isinstance<py::array_t<double>>(a)) return f(double{});
  if (py::isinstance<py::array_t<std::complex<float>>>(a)) return f(std::complex<float>{});
  if (py::isinstance<py::array_t<std::complex<double>>>(a)) return f(std::complex<double>{});
  throw py::type_error("autoconv: dtype " + py::str(a.dtype()).cast<std::string>() +
                       " is not float32, float64, complex64 or complex128");
}

// What a call asks for, parsed from the Python arguments: the mode (signal style) or
// None (image style), the border (None: signal style without one) and the options.
struct Request {
  std::optional<Mode> mode;
  std::optional<Border> border;
  Options options;

  Request(const std::optional<std::string>& m, const std::optional<std::string>& boundary, double cval,
          const std::vector<index_t>& origin, const std::string& method, int threads, const std::vector<int>& axes,
          const std::string& planning) {
    options.method = parse_method(method);
    options.threads = threads;
    options.axes = axes;
    options.planning = parse_planning(planning);
    if (m) mode = parse_mode(*m);
    if (boundary) border = Border{parse_boundary(*boundary), cval, origin};
    if (!mode && !border) value_error("a call needs a mode, a boundary or both");
  }
};

// The Python-visible plan: one autoconv::Plan<T> and its numpy dtype.
class PyPlan {
 public:
  PyPlan(const std::string& op, const std::vector<index_t>& input_shape, const py::array& kernel,
         const Request& request)
      : dtype_(kernel.dtype()) {
    with_value_type(kernel, [&](auto t) { make<decltype(t)>(parse_op(op), Shape(input_shape), kernel, request); });
  }

  // Computes x into out (allocated in C order when None) and returns out.
  py::array call(const py::array& x, std::optional<py::array> out) const {
    return std::visit([&](const auto& plan) { return execute(plan, x, std::move(out)); }, plan_.value());
  }

  py::tuple input_shape() const {
    return std::visit([](const auto& p) { return to_tuple(p.input_shape()); }, plan_.value());
  }
  py::tuple output_shape() const {
    return std::visit([](const auto& p) { return to_tuple(p.output_shape()); }, plan_.value());
  }
  std::string method() const {
    return std::visit([](const auto& p) { return std::string(to_string(p.method())); }, plan_.value());
  }
  py::dtype dtype() const { return dtype_; }

 private:
  template <class T>
  void make(Operation op, const Shape& shape, const py::array& kernel, const Request& r) {
    py::array keep;
    const View<const T> k = input_view<T>(kernel, keep, "the kernel");
    py::gil_scoped_release release;
    if (r.mode && r.border)
      plan_.emplace(Plan<T>(op, shape, k, *r.mode, *r.border, r.options));
    else if (r.mode)
      plan_.emplace(Plan<T>(op, shape, k, *r.mode, r.options));
    else
      plan_.emplace(Plan<T>(op, shape, k, *r.border, r.options));
  }

  template <class T>
  static py::array execute(const Plan<T>& plan, const py::array& x, std::optional<py::array> out) {
    py::array keep;
    const View<const T> in = input_view<T>(x, keep, "the input");
    py::array result;
    if (out) {
      result = *out;
      if (!py::isinstance<py::array_t<T>>(result) || !passable(result))
        throw py::type_error("autoconv: out must have dtype " + py::str(py::dtype::of<T>()).cast<std::string>() +
                             " and strides that are whole items");
      if (!result.writeable()) value_error("out is read-only");
    } else {
      const Shape& s = plan.output_shape();
      result = py::array_t<T>(std::vector<py::ssize_t>(s.begin(), s.end()));
    }
    const View<T> o = view_of<T>(static_cast<T*>(result.mutable_data()), result);
    {
      py::gil_scoped_release release;
      plan.execute(in, o);
    }
    return result;
  }

  std::optional<AnyPlan> plan_;
  py::dtype dtype_;
};

// The cost model's decision for the arguments of a one-shot call (values included:
// they decide separability and count non-finite samples).
Decision explain_call(const py::array& x, const py::array& k, const Request& r) {
  return with_value_type(k, [&](auto t) {
    using T = decltype(t);
    py::array keep_x, keep_k;
    const View<const T> in = input_view<T>(x, keep_x, "the input");
    const View<const T> kv = input_view<T>(k, keep_k, "the kernel");
    py::gil_scoped_release release;
    if (r.mode && r.border) return explain<T>(in, kv, *r.mode, *r.border, r.options);
    if (r.mode) return explain<T>(in, kv, *r.mode, r.options);
    return explain<T>(in, kv, *r.border, r.options);
  });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "autoconv's compiled core (use the autoconv module, not this one)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const autoconv::error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  py::class_<PyPlan>(m, "Plan")
      .def(py::init([](const std::string& op, const std::vector<index_t>& input_shape, const py::array& kernel,
                       const std::optional<std::string>& mode, const std::optional<std::string>& boundary,
                       double cval, const std::vector<index_t>& origin, const std::string& method, int threads,
                       const std::vector<int>& axes, const std::string& planning) {
             return PyPlan(op, input_shape, kernel,
                           Request(mode, boundary, cval, origin, method, threads, axes, planning));
           }),
           py::arg("op"), py::arg("input_shape"), py::arg("kernel"), py::arg("mode"), py::arg("boundary"),
           py::arg("cval"), py::arg("origin"), py::arg("method"), py::arg("threads"), py::arg("axes"),
           py::arg("planning"))
      .def("__call__", &PyPlan::call, py::arg("x"), py::arg("out") = py::none())
      .def_property_readonly("input_shape", &PyPlan::input_shape)
      .def_property_readonly("output_shape", &PyPlan::output_shape)
      .def_property_readonly("method", &PyPlan::method)
      .def_property_readonly("dtype", &PyPlan::dtype);
  py::class_<Candidate>(m, "Candidate", "One method the cost model weighed.")
      .def_property_readonly("method", [](const Candidate& c) { return std::string(to_string(c.method)); })
      .def_readonly("seconds", &Candidate::seconds, "Predicted seconds of one execute (warm plan).")
      .def_readonly("bytes", &Candidate::bytes, "Predicted working memory beyond input and output.")
      .def_readonly("feasible", &Candidate::feasible, "False when the method cannot run this problem.")
      .def_readonly("detail", &Candidate::detail, "Transform lengths, block shape or separable terms.")
      .def_readonly("why_not", &Candidate::why_not, "Empty for the chosen method, else why it was not chosen.")
      .def("__repr__", [](const Candidate& c) {
        return "<autoconv.Candidate " + std::string(to_string(c.method)) + " " + std::to_string(c.seconds) + " s>";
      });
  py::class_<Decision>(m, "Decision", "The cost model's decision: str() is its table.")
      .def_property_readonly("method", [](const Decision& d) { return std::string(to_string(d.method)); })
      .def_readonly("candidates", &Decision::candidates, "Every method weighed (a list of Candidate).")
      .def_readonly("profile", &Decision::profile, "Where the machine constants came from.")
      .def_readonly("problem", &Decision::problem, "The problem in words.")
      .def("table", &Decision::table)
      .def("__str__", &Decision::table)
      .def("__repr__", [](const Decision& d) {
        return "<autoconv.Decision method='" + std::string(to_string(d.method)) + "'>";
      });
  m.def(
      "explain",
      [](const py::array& x, const py::array& k, const std::optional<std::string>& mode,
         const std::optional<std::string>& boundary, double cval, const std::vector<index_t>& origin, int threads,
         const std::vector<int>& axes) {
        // The module's functions make one-shot plans (Planning::Estimate): explain the same.
        return explain_call(x, k, Request(mode, boundary, cval, origin, "auto", threads, axes, "estimate"));
      },
      py::arg("x"), py::arg("kernel"), py::arg("mode"), py::arg("boundary"), py::arg("cval"), py::arg("origin"),
      py::arg("threads"), py::arg("axes"));
  m.attr("version") = autoconv::version();
}
