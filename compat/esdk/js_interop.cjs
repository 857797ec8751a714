// Arca against the AWS Encryption SDK for JavaScript (@aws-crypto/client-node), both ways:
// every suite, several frame lengths, raw AES and raw RSA keyrings, a multi-keyring.
// Run by scripts/test (scripts/lib/esdk.sh) with NODE_PATH pointing at the npm install
// and ARCA_BIN at the arca binary; exits non-zero on any failure.
'use strict'

const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const {
  buildClient,
  CommitmentPolicy,
  MultiKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
} = require('@aws-crypto/client-node')

const arcaBin = process.env.ARCA_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'arca')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arca-esdk-js-'))
const namespace = 'arca-js'
const aesKey = crypto.randomBytes(32)
fs.writeFileSync(path.join(dir, 'aes.key'), aesKey)
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
})
fs.writeFileSync(path.join(dir, 'rsa.pem'), privateKey)
fs.writeFileSync(path.join(dir, 'rsa.pub.pem'), publicKey)

const aesKeyring = () =>
  new RawAesKeyringNode({
    keyName: 'aes',
    keyNamespace: namespace,
    unencryptedMasterKey: new Uint8Array(aesKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  })
const rsaKeyring = () =>
  new RawRsaKeyringNode({
    keyName: 'rsa',
    keyNamespace: namespace,
    rsaKey: { privateKey, publicKey },
    padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256',
  })
const arcaAes = ['-w', 'provider=raw-aes', `namespace=${namespace}`, 'name=aes', `key-file=${path.join(dir, 'aes.key')}`]
const arcaRsa = (file) => ['-w', 'provider=raw-rsa', `namespace=${namespace}`, 'name=rsa', `key-file=${path.join(dir, file)}`, 'padding=oaep-sha256']

const suites = [0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178, 0x0214, 0x0346, 0x0378, 0x0478, 0x0578]
const committing = (id) => id === 0x0478 || id === 0x0578
const policyArgs = (id) => ['--commitment-policy', committing(id) ? 'require-encrypt-require-decrypt' : 'forbid-encrypt-allow-decrypt']
const legacy = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
const strict = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)

function arca(mode, input, args) {
  const result = spawnSync(arcaBin, [mode, '-i', '-', '-o', '-', ...args], { input, maxBuffer: 1 << 28 })
  if (result.status !== 0) throw new Error(`arca ${mode} failed: ${result.stderr}`)
  return result.stdout
}

let passed = 0
const failures = []
async function check(name, body) {
  try {
    await body()
    passed += 1
  } catch (error) {
    failures.push(`${name}: ${error.message}`)
  }
}
const same = (a, b) => {
  if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) throw new Error('plaintext differs')
}

async function main() {
  const context = { purpose: 'js interop', tenant: 't-2' }
  for (const suiteId of suites) {
    for (const frameLength of [128, 4096, 1 << 20]) {
      const plaintext = crypto.randomBytes(10000)
      const client = committing(suiteId) ? strict : legacy
      await check(`js->arca ${suiteId.toString(16)} frame ${frameLength}`, async () => {
        const { result } = await client.encrypt(aesKeyring(), plaintext, { encryptionContext: context, suiteId, frameLength })
        same(arca('decrypt', result, [...arcaAes, ...policyArgs(suiteId), '-c', 'tenant=t-2']), plaintext)
      })
      await check(`arca->js ${suiteId.toString(16)} frame ${frameLength}`, async () => {
        const message = arca('encrypt', plaintext, [...arcaAes, ...policyArgs(suiteId), '--algorithm', `0x${suiteId.toString(16)}`, '--frame-length', `${frameLength}`, '-c', 'tenant=t-2'])
        const { plaintext: decrypted, messageHeader } = await legacy.decrypt(aesKeyring(), message)
        same(decrypted, plaintext)
        if (messageHeader.encryptionContext.tenant !== 't-2') throw new Error('context lost')
      })
    }
  }
  const plaintext = crypto.randomBytes(50000)
  await check('js multi (aes + rsa) -> arca rsa', async () => {
    const multi = new MultiKeyringNode({ generator: aesKeyring(), children: [rsaKeyring()] })
    const { result } = await strict.encrypt(multi, plaintext)
    same(arca('decrypt', result, arcaRsa('rsa.pem')), plaintext)
    same(arca('decrypt', result, arcaAes), plaintext)
  })
  await check('arca multi (aes + rsa public) -> js rsa', async () => {
    const message = arca('encrypt', plaintext, [...arcaAes, ...arcaRsa('rsa.pub.pem')])
    same((await strict.decrypt(rsaKeyring(), message)).plaintext, plaintext)
    same((await strict.decrypt(aesKeyring(), message)).plaintext, plaintext)
  })
  await check('js refuses a tampered arca message', async () => {
    const message = Buffer.from(arca('encrypt', plaintext, arcaAes))
    message[message.length - 30] ^= 1
    let refused = false
    try {
      await strict.decrypt(aesKeyring(), message)
    } catch (error) {
      refused = true
    }
    if (!refused) throw new Error('tampered message accepted')
  })
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(`esdk js interop: ${passed} passed, ${failures.length} failed`)
  if (failures.length > 0) {
    for (const failure of failures) console.error(failure)
    process.exit(1)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
