#!/usr/bin/env bash
# Writes a sysfs tree with one AMD card as the amdgpu driver lays it out, for
# node-exporter's drm and hwmon collectors (--path.sysfs=DIR):
#   class/drm/card0 -> the PCI device's drm/card0, whose device/ holds the
#   driver's files; class/hwmon/hwmon2 -> the device's hwmon/hwmon2.
# The drm values are those of prometheus/procfs's own test fixture
# (testdata/fixtures.ttar, sys/class/drm/card0: an amdgpu Vega card); the
# hwmon files are those the kernel's amdgpu documentation lists
# (Documentation/gpu/amdgpu/thermal.rst: temp1_input in millidegrees Celsius,
# power1_average in microwatts), with values chosen here. tests/e2e/gpu_e2e_test.cpp
# expects exactly these values from the recording rules.
#   amd-sysfs.sh DIR
set -euo pipefail
root=${1:?directory}
pci=devices/pci0000:00/0000:00:03.1/0000:09:00.0
dev=$root/$pci
mkdir -p "$dev/drm/card0" "$dev/hwmon/hwmon2" "$root/class/drm" "$root/class/hwmon"
w() { printf '%s\n' "$2" >"$dev/$1"; }
w uevent "DRIVER=amdgpu
PCI_CLASS=30000
PCI_ID=1002:687F
PCI_SUBSYS_ID=1043:04C4
PCI_SLOT_NAME=0000:09:00.0
MODALIAS=pci:v00001002d0000687Fsv00001043sd000004C4bc03sc00i00"
w gpu_busy_percent 4
w mem_info_gtt_total 8573157376
w mem_info_gtt_used 144560128
w mem_info_vis_vram_total 8573157376
w mem_info_vis_vram_used 1490378752
w mem_info_vram_total 8573157376
w mem_info_vram_used 1490378752
w mem_info_vram_vendor samsung
w power_dpm_force_performance_level manual
w unique_id 0123456789abcdef
ln -s ../../../0000:09:00.0 "$dev/drm/card0/device"
ln -s "../../$pci/drm/card0" "$root/class/drm/card0"
h=$dev/hwmon/hwmon2
printf 'amdgpu\n' >"$h/name"
printf '61000\n' >"$h/temp1_input"
printf 'edge\n' >"$h/temp1_label"
printf '69000\n' >"$h/temp2_input"
printf 'junction\n' >"$h/temp2_label"
printf '198000000\n' >"$h/power1_average"
printf '220000000\n' >"$h/power1_cap"
ln -s ../../../0000:09:00.0 "$h/device"
ln -s "../../$pci/hwmon/hwmon2" "$root/class/hwmon/hwmon2"
