import type { DisplayPort } from '../../hardware/display/port.ts';
import type { IndicatorPort } from '../../hardware/indicator/port.ts';
import type { VoicePort } from '../../hardware/voice/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Locale } from '../../shared/rules/reasons.ts';
import type { Mode } from '../../shared/rules/model.ts';

export interface FeedbackPorts {
  indicator: IndicatorPort;
  display: DisplayPort;
  voice: VoicePort;
}

export interface Shown {
  admit: boolean;
  reason: string;
  message: string;
  messageEn: string;
  persons: number;
}

const HOLD_MS = 3000;

/**
 * What a visitor sees and hears after each decision: green or red, a beep, two display
 * lines, a voice prompt. Feedback never holds up a decision: failures are logged, not thrown.
 */
export class Feedback {
  constructor(private readonly ports: FeedbackPorts, private readonly locale: Locale, private readonly log: Logger) {}

  async start(): Promise<void> {
    await this.ports.indicator.start();
    await this.ports.display.start();
    await this.ports.voice.start();
  }

  async stop(): Promise<void> {
    await this.ports.voice.stop();
    await this.ports.display.stop();
    await this.ports.indicator.stop();
  }

  decision(d: Shown): void {
    const { indicator, display, voice } = this.ports;
    this.run([
      indicator.show(d.admit ? 'green' : 'red', { forMs: HOLD_MS }),
      indicator.beep(d.admit ? 'ok' : 'error'),
      display.show([d.message, d.messageEn], { forMs: HOLD_MS, tone: d.admit ? 'ok' : 'error' }),
      voice.say({ id: d.admit ? 'welcome' : d.reason, locale: this.locale, text: this.locale === 'en' ? d.messageEn : d.message }),
    ]);
  }

  /** A request to the visitor while a check goes on (the face check's "请正对镜头"): no light, no verdict. */
  prompt(p: { id: string; message: string; messageEn: string }): void {
    const { display, voice } = this.ports;
    this.run([
      display.show([p.message, p.messageEn], { forMs: HOLD_MS, tone: 'info' }),
      voice.say({ id: p.id, locale: this.locale, text: this.locale === 'en' ? p.messageEn : p.message }),
    ]);
  }

  /** The lane at rest: off in normal mode, a red X when closed, green and an alarm in an emergency. */
  mode(mode: Mode): void {
    const { indicator, display, voice } = this.ports;
    indicator.setIdle(mode === 'emergency' ? 'green' : mode === 'closed' ? 'red' : 'off');
    display.setIdle(mode === 'emergency' ? ['紧急疏散 请直接通行', 'Emergency: walk through'] : mode === 'closed' ? ['通道关闭', 'Lane closed'] : ['请扫码入园', 'Please scan your ticket']);
    const tasks: Promise<void>[] = [];
    if (mode === 'emergency') {
      tasks.push(indicator.show('green', { blink: true }), indicator.beep('alarm'), voice.say({ id: 'emergency', locale: this.locale, text: '紧急疏散，闸门已全部打开' }));
    } else tasks.push(indicator.silence());
    this.run(tasks);
  }

  private run(tasks: Promise<unknown>[]): void {
    for (const t of tasks) t.catch((err: Error) => this.log.warn({ err: err.message }, 'feedback device failed'));
  }
}
