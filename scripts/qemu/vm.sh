# shellcheck shell=bash
# The QEMU test bed's host side, sourced by scripts/qemu-capture (and by the coming
# scripts/real-host-test): a kernel booted under TCG with swtpm as the VM's TPM, the host's root
# filesystem shared read-only over 9p as the guest's userland, a small busybox initramfs that mounts
# it and runs one scenario script inside, and a writable 9p export where the scenario leaves its
# results. KVM is not usable on the project's machines, hence TCG and generous timeouts.
#
# Callers set VM_WORK (a private temporary directory), call vm_cleanup from their EXIT trap, and use:
#   vm_default_kernel                  -> sets VM_KERNEL, VM_MODULES, VM_KERNEL_PACKAGE, VM_KERNEL_VERSION
#   vm_build_initramfs SCENARIO        -> VM_WORK/initramfs.cpio.gz
#   vm_start_swtpm                     -> VM_SWTPM_SOCK (swtpm runs until vm_cleanup)
#   vm_boot OUTDIR APPEND TIMEOUT      -> boots once, console in VM_WORK/console.log
# Everything comes from Debian's archive (scripts/install-deps --qemu).

VM_SWTPM_PID=
VM_QEMU_PID=

vm_log() { echo "${VM_NAME:-vm}: $*" >&2; }

vm_die() { vm_log "$*"; exit "${2:-3}"; }

# The kernel a Debian meta-package (e.g. linux-image-6.12-amd64) depends on; sets
# VM_KERNEL, VM_MODULES, VM_KERNEL_PACKAGE and VM_KERNEL_VERSION.
vm_package_kernel() {
  local meta=$1 dep
  dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null | tr ',|' '\n\n' | sed 's/[ (].*//' \
    | grep -E '^linux-image-[0-9]' | head -n1) || true
  [ -n "$dep" ] || vm_die "$meta is not installed (scripts/install-deps --qemu)"
  VM_KERNEL_PACKAGE=$dep
  VM_KERNEL_VERSION=${dep#linux-image-}
  VM_KERNEL=/boot/vmlinuz-$VM_KERNEL_VERSION
  VM_MODULES=/lib/modules/$VM_KERNEL_VERSION
  [ -r "$VM_KERNEL" ] || vm_die "$VM_KERNEL not readable"
  [ -d "$VM_MODULES" ] || vm_die "$VM_MODULES missing"
}

# The kernel of Debian's linux-image-amd64 meta-package (6.1 on Debian 12).
vm_default_kernel() { vm_package_kernel linux-image-amd64; }

# The modules the guest needs to reach its userland, with their dependencies, in load order.
# A kernel that has them built in (no modules directory, or a module not listed) needs none.
VM_WANTED_MODULES=(virtio_pci 9pnet_virtio 9p)

vm_module_closure() {
  local dep=$1/modules.dep name path
  declare -A seen=()
  local order=()
  visit() {
    local rel=$1 d
    [ -n "${seen[$rel]:-}" ] && return 0
    seen[$rel]=1
    for d in $(grep -E "^$rel:" "$dep" | cut -d: -f2-); do visit "$d"; done
    order+=("$rel")
  }
  for name in "${VM_WANTED_MODULES[@]}"; do
    path=$(grep -E "/${name//_/[_-]}\.ko(\.[a-z]+)?:" "$dep" | head -n1 | cut -d: -f1) || true
    if [ -z "$path" ]; then vm_log "module $name not in $dep: assuming built in"; continue; fi
    visit "$path"
  done
  printf '%s\n' "${order[@]}"
}

# The initramfs: busybox (static), the modules (decompressed), the generic init and the scenario.
vm_build_initramfs() {
  local scenario=$1 here root rel base
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  root=$VM_WORK/initramfs
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,newroot,modules}
  [ -x /bin/busybox ] || vm_die "/bin/busybox missing (apt-get install busybox-static)"
  cp /bin/busybox "$root/bin/busybox"
  install -m 0755 "$here/init" "$root/init"
  install -m 0755 "$scenario" "$root/scenario"
  : >"$root/modules/load.list"
  if [ -n "${VM_MODULES:-}" ]; then
    while IFS= read -r rel; do
      [ -n "$rel" ] || continue
      base=$(basename "$rel")
      case "$base" in
        *.ko.xz) xz -dc "$VM_MODULES/$rel" >"$root/modules/${base%.xz}"; base=${base%.xz} ;;
        *.ko.zst) zstd -qdc "$VM_MODULES/$rel" >"$root/modules/${base%.zst}"; base=${base%.zst} ;;
        *.ko.gz) gzip -dc "$VM_MODULES/$rel" >"$root/modules/${base%.gz}"; base=${base%.gz} ;;
        *) cp "$VM_MODULES/$rel" "$root/modules/$base" ;;
      esac
      echo "$base" >>"$root/modules/load.list"
    done < <(vm_module_closure "$VM_MODULES")
  fi
  (cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$VM_WORK/initramfs.cpio.gz"
  vm_log "initramfs: $(wc -l <"$root/modules/load.list") modules ($(tr '\n' ' ' <"$root/modules/load.list"))"
}

# swtpm as the VM's TPM (a fresh, unprovisioned TPM 2.0; the firmware and kernel send Startup).
vm_start_swtpm() {
  local dir=$VM_WORK/swtpm i
  mkdir -p "$dir"
  VM_SWTPM_SOCK=$dir/swtpm.sock
  swtpm socket --tpm2 --tpmstate dir="$dir" --ctrl type=unixio,path="$VM_SWTPM_SOCK" \
    --log file="$VM_WORK/swtpm.log",level=1 &
  VM_SWTPM_PID=$!
  for i in $(seq 1 100); do
    [ -S "$VM_SWTPM_SOCK" ] && return 0
    kill -0 "$VM_SWTPM_PID" 2>/dev/null || vm_die "swtpm exited at start (see $VM_WORK/swtpm.log)"
    sleep 0.1
  done
  vm_die "swtpm socket $VM_SWTPM_SOCK did not appear"
}

# Stops swtpm and keeps its state directory: vm_start_swtpm then starts it again on the same TPM
# (a reboot of the VM: the TPM's resetCount moves on at the next TPM2_Startup).
vm_stop_swtpm() {
  if [ -n "$VM_SWTPM_PID" ]; then kill "$VM_SWTPM_PID" 2>/dev/null || true; wait "$VM_SWTPM_PID" 2>/dev/null || true; fi
  VM_SWTPM_PID=
  rm -f "${VM_SWTPM_SOCK:-}"
}

# One boot: waits for the guest to power off (or the timeout), returns qemu's exit status.
vm_boot() {
  local outdir=$1 append=$2 timeout=$3 rc=0
  : >"$VM_WORK/console.log"
  qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "${VM_MEMORY:-1024}" \
    -display none -monitor none -serial "file:$VM_WORK/console.log" -no-reboot \
    -kernel "$VM_KERNEL" -initrd "$VM_WORK/initramfs.cpio.gz" -append "$append" \
    -chardev socket,id=chrtpm,path="$VM_SWTPM_SOCK" -tpmdev emulator,id=tpm0,chardev=chrtpm \
    -device tpm-tis,tpmdev=tpm0 \
    -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
    -virtfs local,path="$outdir",mount_tag=out,security_model=none,multidevs=remap \
    2>"$VM_WORK/qemu.err" &
  VM_QEMU_PID=$!
  local waited=0
  while kill -0 "$VM_QEMU_PID" 2>/dev/null; do
    if [ "$waited" -ge "$timeout" ]; then
      vm_log "no power-off after ${timeout}s; last console lines:"
      tail -n 30 "$VM_WORK/console.log" >&2
      kill "$VM_QEMU_PID" 2>/dev/null || true
      wait "$VM_QEMU_PID" 2>/dev/null || true
      VM_QEMU_PID=
      return 124
    fi
    sleep 2
    waited=$((waited + 2))
  done
  wait "$VM_QEMU_PID" || rc=$?
  VM_QEMU_PID=
  [ -s "$VM_WORK/qemu.err" ] && sed 's/^/qemu: /' "$VM_WORK/qemu.err" >&2
  return "$rc"
}

# Ends what this test bed started (by pid), for the caller's EXIT trap.
vm_cleanup() {
  if [ -n "$VM_QEMU_PID" ]; then kill "$VM_QEMU_PID" 2>/dev/null || true; wait "$VM_QEMU_PID" 2>/dev/null || true; fi
  if [ -n "$VM_SWTPM_PID" ]; then kill "$VM_SWTPM_PID" 2>/dev/null || true; wait "$VM_SWTPM_PID" 2>/dev/null || true; fi
  VM_QEMU_PID=
  VM_SWTPM_PID=
}

# The same initramfs with another /init, e.g. scripts/qemu/init-systemd (systemd as init on an
# overlay root, for scripts/package-vm-test): builds with vm_build_initramfs, swaps /init, repacks.
vm_build_initramfs_with_init() {
  local init=$1 scenario=$2
  vm_build_initramfs "$scenario"
  install -m 0755 "$init" "$VM_WORK/initramfs/init"
  (cd "$VM_WORK/initramfs" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$VM_WORK/initramfs.cpio.gz"
}
