// autoconv/fft.hpp: control of the FFT machinery shared by every plan: FFTW wisdom
// and the lock that serialises FFTW planning. No FFTW types appear here.
#pragma once

#include <string>

namespace autoconv {

/// Imports FFTW wisdom (double and single precision) from a file written by
/// save_wisdom() (or by FFTW's own tools). Returns false if the file cannot be read
/// or holds no valid wisdom. The file named by the environment variable
/// AUTOCONV_WISDOM, if set, is imported automatically before the first FFT plan.
bool load_wisdom(const std::string& path);

/// Writes the wisdom FFTW has accumulated in this process (double and single
/// precision) to a file. Returns false if the file cannot be written.
bool save_wisdom(const std::string& path);

/// Replaces the lock autoconv holds around every FFTW call other than the execute
/// functions (FFTW's planner is not thread-safe). A program that also plans FFTW
/// transforms itself should install its own lock here and take the same lock around
/// its own planner calls; `lock(data)` and `unlock(data)` must behave like a mutex.
/// Passing nullptr for both restores autoconv's internal mutex. Call it before any
/// autoconv FFT work starts, not concurrently with it.
void set_fftw_lock(void (*lock)(void*), void (*unlock)(void*), void* data);

}  // namespace autoconv
