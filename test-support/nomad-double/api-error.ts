/** An HTTP error answered by the Nomad test double: status code + Nomad's text/plain message. */
export class NomadApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}
