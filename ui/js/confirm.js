// Asking before a destructive action, in the page rather than with window.confirm(): a modal <dialog>
// that names what will happen, with Cancel focused first (Enter on a stray key press does not delete)
// and Escape cancelling, as the browser's own dialog would.
import { h } from './dom.js'

let asked = 0

/** Resolves true when the user confirms, false when they cancel (button, Escape or backdrop). */
export function askToConfirm(question, { confirmLabel = 'Confirm', danger = true } = {}) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'cancel' }, 'Cancel')
    const ok = h('button', { type: 'button', class: danger ? 'danger confirm' : 'confirm' }, confirmLabel)
    const id = `confirm-question-${++asked}`
    // An alert dialog named by its question, so a screen reader announces what is about to be deleted.
    const dialog = h(
      'dialog',
      { class: 'confirm-dialog', role: 'alertdialog', 'aria-labelledby': id },
      h('p', { class: 'question', id }, question),
      h('div', { class: 'buttons' }, cancel, ok),
    )
    const done = (answer) => {
      dialog.close()
      dialog.remove()
      resolve(answer)
    }
    cancel.addEventListener('click', () => done(false))
    ok.addEventListener('click', () => done(true))
    // Escape fires `cancel` on a modal dialog.
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault()
      done(false)
    })
    dialog.addEventListener('click', (ev) => {
      if (ev.target === dialog) done(false) // a click on the backdrop
    })
    document.body.append(dialog)
    dialog.showModal()
    cancel.focus()
  })
}
