import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkCommand, type DenyRule } from './command-deny-list.ts'

/** Spellings a shell reads as a denied command, each with the rule that must refuse it. */
const REFUSED: ReadonlyArray<[string, DenyRule | 'unreadable']> = [
  ['sudo ls', 'sudo'],
  ['/usr/bin/sudo -u root id', 'sudo'],
  ['s"ud"o id', 'sudo'],
  ["'sudo' id", 'sudo'],
  ['\\sudo id', 'sudo'],
  ['su\\do id', 'sudo'],
  ["$'\\x73udo' id", 'sudo'],
  ['echo hi; sudo id', 'sudo'],
  ['true && sudo id', 'sudo'],
  ['false || sudo id', 'sudo'],
  ['ls | sudo tee /etc/x', 'sudo'],
  ['sleep 1 & sudo id', 'sudo'],
  ['echo $(sudo id)', 'sudo'],
  ['echo "$(sudo id)"', 'sudo'],
  ['echo `sudo id`', 'sudo'],
  ['(sudo id)', 'sudo'],
  ['{ sudo id; }', 'sudo'],
  ['env sudo id', 'sudo'],
  ['env -i PATH=/bin sudo id', 'sudo'],
  ['FOO=1 sudo id', 'sudo'],
  ['nice -n 10 sudo id', 'sudo'],
  ['timeout 5 sudo id', 'sudo'],
  ['timeout -s KILL 5s sudo id', 'sudo'],
  ['nohup sudo id', 'sudo'],
  ['exec sudo id', 'sudo'],
  ['command sudo id', 'sudo'],
  ['xargs sudo rm < list', 'sudo'],
  ["sh -c 'sudo id'", 'sudo'],
  ["bash -lc 'echo; sudo id'", 'sudo'],
  ['sh -c "sh -c \'sudo id\'"', 'sudo'],
  ["eval 'sudo id'", 'sudo'],
  ['x=sudo; $x id', 'sudo'],
  ['x=sudo; ${x} id', 'sudo'],
  ['doas id', 'sudo'],
  ['pkexec id', 'sudo'],
  ['su', 'su'],
  ['su - root -c id', 'su'],
  ['/bin/su root', 'su'],
  ['rm -rf /', 'rm-root'],
  ['rm -fr /', 'rm-root'],
  ['rm -r -f /', 'rm-root'],
  ['rm -Rf /', 'rm-root'],
  ['rm --recursive --force /', 'rm-root'],
  ['rm -rf //', 'rm-root'],
  ['rm -rf /.', 'rm-root'],
  ['rm -rf /./', 'rm-root'],
  ['rm -rf /..', 'rm-root'],
  ['rm -rf /*', 'rm-root'],
  ["rm -rf '/'", 'rm-root'],
  ['rm -rf -- /', 'rm-root'],
  ['rm --no-preserve-root -rf /', 'rm-root'],
  ['/bin/rm -rf /', 'rm-root'],
  ["sh -c 'rm -rf /'", 'rm-root'],
  ['cd /tmp && rm -rf /', 'rm-root'],
  ['dd if=/dev/zero of=/dev/sda', 'dd-device'],
  ['dd if=image.iso of=/dev/nvme0n1 bs=4M', 'dd-device'],
  ['dd of=/dev/mmcblk0 if=x', 'dd-device'],
  ['cat image > /dev/sda', 'device-write'],
  ['echo x >/dev/vda1', 'device-write'],
  ['mkfs.ext4 /dev/sdb1', 'mkfs'],
  ['mkfs -t xfs /dev/sdb', 'mkfs'],
  ['mke2fs /dev/sdb', 'mkfs'],
  ['shutdown -h now', 'shutdown'],
  ['reboot', 'shutdown'],
  ['/sbin/halt', 'shutdown'],
  ['poweroff', 'shutdown'],
  ['systemctl reboot', 'shutdown'],
  ['systemctl poweroff', 'shutdown'],
  ['init 0', 'shutdown'],
  ['telinit 6', 'shutdown'],
  [':(){ :|:& };:', 'fork-bomb'],
  [':() { : | : & }; :', 'fork-bomb'],
  ['bomb(){ bomb|bomb& };bomb', 'fork-bomb'],
  ["echo 'unclosed", 'unreadable'],
  ['echo $(sudo id', 'unreadable'],
]

/** Ordinary commands, some naming the denied words as data: all must pass. */
const ALLOWED: readonly string[] = [
  'df -h',
  "find /var/log -name '*.log' -mtime +7 -delete",
  'tar -czf /backup/data.tar.gz /data',
  'echo sudo',
  "echo 'rm -rf /'",
  'grep -r sudo /etc/sudoers.d',
  'rm -rf /tmp/build',
  'rm -rf ./dist',
  'rm /',
  'rm -f /tmp/x',
  'dd if=/dev/zero of=/tmp/blank bs=1M count=1',
  'dd if=/dev/urandom of=/dev/null count=1',
  'cat x > /dev/null 2>&1',
  'systemctl status nginx',
  'ls -l /sbin/shutdown',
  'python main.py --arg value',
  'sudoku-solver --grid x',
  'x=1; echo $x',
  'echo $((1 + 2))',
  "sh -c 'echo hi'",
  'nice -n 5 python train.py',
  'timeout 10 curl -s http://localhost:8080/health',
  'env FOO=bar ./run.sh',
  'echo "a # b"; # trailing comment',
]

describe('command deny-list (spec 001)', () => {
  for (const [command, rule] of REFUSED) {
    it(`refuses ${JSON.stringify(command)} (${rule})`, () => {
      const verdict = checkCommand(command)
      assert.equal(verdict.allowed, false, `${command} was allowed`)
      assert.equal(!verdict.allowed && verdict.rule, rule)
    })
  }

  for (const command of ALLOWED) {
    it(`allows ${JSON.stringify(command)}`, () => {
      assert.deepEqual(checkCommand(command), { allowed: true })
    })
  }

  it('names the rule and the word that matched', () => {
    assert.deepEqual(checkCommand("env -i sh -c 'sudo id'"), { allowed: false, rule: 'sudo', reason: "'sudo' runs a command with other privileges" })
  })

  it('follows the admin settings: off, a rule off, extra programs', () => {
    assert.deepEqual(checkCommand('sudo id', { enabled: false, disabledRules: [], extraPrograms: [] }), { allowed: true })
    assert.deepEqual(checkCommand('reboot', { enabled: true, disabledRules: ['shutdown'], extraPrograms: [] }), { allowed: true })
    assert.equal(checkCommand('sudo id', { enabled: true, disabledRules: ['shutdown'], extraPrograms: [] }).allowed, false)
    assert.deepEqual(checkCommand('nice /sbin/iptables -F', { enabled: true, disabledRules: [], extraPrograms: ['iptables'] }), {
      allowed: false,
      rule: 'extra-program',
      reason: "'iptables' is on this installation's deny-list",
    })
  })
})
