import { expect } from 'chai'
import { cgroupCpuLimit, usableCores, type TextReader } from '../../lib/internal/usable-cores.js'

/** A fake /proc and /sys: the files given, nothing else. */
const files = (tree: Record<string, string>): TextReader => (path) => tree[path]

describe('usableCores()', () => {
  it('is the available cores when no cgroup limits the CPU (no /proc/self/cgroup, or cpu.max "max")', () => {
    expect(usableCores({ read: files({}), available: 8 })).to.equal(8)
    expect(usableCores({ read: files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), available: 2 })).to.equal(2)
  })

  it('follows a cgroup v2 quota, rounding a fractional one down, never below 1', () => {
    const v2 = (max: string): TextReader => files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': max })
    expect(usableCores({ read: v2('100000 100000\n'), available: 16 })).to.equal(1)
    expect(usableCores({ read: v2('150000 100000'), available: 16 })).to.equal(1)
    expect(usableCores({ read: v2('400000 100000'), available: 16 })).to.equal(4)
    expect(usableCores({ read: v2('50000 100000'), available: 16 })).to.equal(1)
    // A quota above the cores does not add cores.
    expect(usableCores({ read: v2('800000 100000'), available: 2 })).to.equal(2)
  })

  it('takes the smallest cgroup v2 limit along the path: a parent binds its children', () => {
    const read = files({
      '/proc/self/cgroup': '0::/system.slice/app.service\n',
      '/sys/fs/cgroup/system.slice/app.service/cpu.max': 'max 100000',
      '/sys/fs/cgroup/system.slice/cpu.max': '200000 100000',
      '/sys/fs/cgroup/cpu.max': 'max 100000'
    })
    expect(cgroupCpuLimit(read)).to.equal(2)
    expect(usableCores({ read, available: 8 })).to.equal(2)
  })

  it('follows a cgroup v1 CFS quota (quota -1: none), also when only the mount root is visible (a container)', () => {
    const proc = '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n'
    const unlimited = files({ '/proc/self/cgroup': proc, '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n' })
    expect(usableCores({ read: unlimited, available: 4 })).to.equal(4)
    const limited = files({ '/proc/self/cgroup': proc, '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' })
    expect(usableCores({ read: limited, available: 4 })).to.equal(1)
    const onPath = files({ '/proc/self/cgroup': proc, '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '300000', '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000' })
    expect(usableCores({ read: onPath, available: 8 })).to.equal(3)
  })

  it('ignores files it cannot parse, and runs on the real machine', () => {
    expect(cgroupCpuLimit(files({ '/proc/self/cgroup': 'garbage\n0::/\n', '/sys/fs/cgroup/cpu.max': 'nonsense' }))).to.equal(undefined)
    expect(usableCores()).to.be.at.least(1)
  })
})
